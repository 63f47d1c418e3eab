/**
 * The runner's view of the compute engine (core's backend ladder): started once per process from the spec's
 * `engine` block; core prints the one line saying which backend, how many threads and why.
 */
import { initEngine, shutdownEngine, type EngineInfo, type ExperimentSpec } from '@vgglab/core';

export type { EngineInfo };

export async function startEngine(engine: ExperimentSpec['engine'] | undefined, log: (line: string) => void): Promise<EngineInfo> {
  return initEngine({ backend: engine?.backend ?? 'auto', ...(engine?.threads ? { threads: engine.threads } : {}), log });
}

/** Releases engine resources before exit: wasm threads keep the process alive otherwise. */
export async function stopEngine(): Promise<void> {
  await shutdownEngine();
}
