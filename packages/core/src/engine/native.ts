/**
 * The `native` rung of the backend ladder: vgglab's oneDNN engine, the workspace package
 * @vgglab/engine-native (a tfjs backend `native` over Debian's libdnnl).
 *
 * How core reaches it without importing it: core imports nothing of ours statically (architecture rule),
 * and the package is optional at run time (its addon builds only where libdnnl-dev is installed). So core
 * keeps the package name in one data list and imports it dynamically, as it reaches @tensorflow/tfjs-node;
 * the package answers through the provider contract below, which core owns and the package implements
 * (engine-native's index.ts is checked against it by tsc). A package that is missing, fails to load or says
 * it cannot start is a skipped rung with a one-line reason, never an error, unless `native` was requested.
 */
import * as tf from '@tensorflow/tfjs';

/** Packages that provide the native engine, tried in order (one today). */
export const NATIVE_ENGINE_PACKAGES: readonly string[] = ['@vgglab/engine-native'];

/** What startNativeEngine returns: started (the tfjs backend is registered) or why not, ending with what to do. */
export type NativeEngineStart =
  | { ok: true; backendName: string; threads: number; detail: string }
  | { ok: false; why: string };

/** The provider contract: what a native engine package exports. */
export interface NativeEngineProvider {
  /**
   * Registers the package's tfjs backend (once per process) and sets its thread count; must not throw for
   * a missing library or addon (ok: false with the reason instead).
   */
  startNativeEngine(options: { threads: number }): NativeEngineStart;
}

/** Imports the first available provider, starts it and makes its backend tfjs's active one. */
export async function startNativeRung(threads: number, packages: readonly string[] = NATIVE_ENGINE_PACKAGES): Promise<NativeEngineStart> {
  const failures: string[] = [];
  for (const pkg of packages) {
    let provider: Partial<NativeEngineProvider>;
    try {
      provider = (await import(pkg)) as Partial<NativeEngineProvider>;
    } catch (error) {
      const code = (error as { code?: string }).code;
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
      failures.push(missing ? `${pkg} is not installed` : `${pkg} failed to load: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    if (typeof provider.startNativeEngine !== 'function') {
      failures.push(`${pkg} does not export startNativeEngine`);
      continue;
    }
    const started = provider.startNativeEngine({ threads });
    if (!started.ok) {
      failures.push(started.why);
      continue;
    }
    if (!(await tf.setBackend(started.backendName))) {
      failures.push(`${pkg} registered backend '${started.backendName}' but tfjs could not start it`);
      continue;
    }
    return started;
  }
  return { ok: false, why: failures.join('; ') };
}
