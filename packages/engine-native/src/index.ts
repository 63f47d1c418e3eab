// Public surface of @vgglab/engine-native: the provider core's backend ladder imports (core/src/engine/native.ts),
// and what tests, benchmarks and logs read about the engine.
import type { NativeEngineProvider, NativeEngineStart } from '@vgglab/core';
import { loadAddon } from './addon.ts';
import { registerNativeBackend } from './backend.ts';
import { NATIVE_BACKEND } from './backend-name.ts';

export { NATIVE_BACKEND } from './backend-name.ts';
export { listNativeKernels, NATIVE_KERNELS } from './backend.ts';
export { loadAddon } from './addon.ts';
export type { AddonLoad, NativeAddon } from './addon.ts';

/**
 * Registers the `native` tfjs backend (once) and sets its threads; or says why it cannot, ending with what
 * to do ("libdnnl not found: apt-get install libdnnl-dev, then npm rebuild @vgglab/engine-native").
 */
export function startNativeEngine(options: { threads: number }): NativeEngineStart {
  const load = loadAddon();
  if (!load.ok) return { ok: false, why: load.why };
  registerNativeBackend(load.addon);
  const threads = load.addon.setThreads(options.threads);
  const { dnnlVersion, isa } = load.addon.info();
  return { ok: true, backendName: NATIVE_BACKEND, threads, detail: `oneDNN ${dnnlVersion} (${isa}) through @vgglab/engine-native` };
}

// Checked by tsc: this module is what core's ladder expects of a native engine package.
const provider: NativeEngineProvider = { startNativeEngine };
void provider;
