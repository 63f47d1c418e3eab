/**
 * The runner's view of the compute engine: start it once per process from the spec's `engine` block and say
 * what was chosen and why, once.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExperimentSpec } from '@vgglab/core';

export interface EngineInfo {
  backend: string;
  threads: number;
  /** Why this backend (and thread count) was chosen, for the start-up line. */
  reason: string;
}

let started: EngineInfo | undefined;

/** Starts the engine (idempotent within a process: the first call decides). */
export async function startEngine(engine: ExperimentSpec['engine'] | undefined, env: NodeJS.ProcessEnv = process.env): Promise<EngineInfo> {
  if (started) return started;
  const requested = env.VGGLAB_BACKEND || engine?.backend || 'auto';
  const backend = requested === 'auto' ? 'cpu' : requested;
  if (!(await tf.setBackend(backend))) throw new Error(`engine: backend '${backend}' could not be started`);
  await tf.ready();
  started = { backend: tf.getBackend(), threads: 1, reason: requested === 'auto' ? 'default' : env.VGGLAB_BACKEND ? 'VGGLAB_BACKEND' : 'engine.backend in the spec' };
  return started;
}

export function describeEngine(info: EngineInfo): string {
  return `engine: ${info.backend}, ${info.threads} thread${info.threads === 1 ? '' : 's'} (${info.reason})`;
}

/** Releases engine resources before exit (threads keep the process alive otherwise). */
export async function stopEngine(): Promise<void> {
  started = undefined;
}
