import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { initEngine } from './backend.ts';
import { threadsWorkload } from './testing/threads-workload.ts';
import { threadsShimVersionProblem, THREADS_SHIM_TFJS_VERSION } from './wasm-threads.ts';

// Threads run in child processes: a wasm module's thread pool is fixed when it starts, so one process
// cannot compare 1 and 2 threads, and vitest's own workers stay single-threaded (the engine's default
// under VITEST) to keep the suite from competing for the machine's cores.
const probe = fileURLToPath(new URL('./testing/threads-probe.ts', import.meta.url));
const run = promisify(execFile);

async function runProbe(threads: number) {
  const env = { ...process.env };
  delete env.VGGLAB_BACKEND;
  delete env.VGGLAB_THREADS;
  delete env.VITEST;
  // A timeout turns "the process never exits by itself" into a failure instead of a hang.
  const { stdout } = await run(process.execPath, ['--import', 'tsx', probe, String(threads)], { env, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as {
    info: { backend: string; threads: number };
    warnings: string[];
    result: Record<string, number[]>;
  };
}

describe('wasm threads in Node', () => {
  it('2 threads are reported, give the same numbers as 1 thread, and the process exits by itself', async () => {
    const two = await runProbe(2);
    // One thread: this vitest worker (the engine's default here).
    const info = await initEngine({ backend: 'wasm', log: () => {} });
    expect(info).toMatchObject({ backend: 'wasm', threads: 1 });
    const one = { result: threadsWorkload() };
    expect(two.info).toMatchObject({ backend: 'wasm', threads: 2 });
    expect(two.warnings).toEqual([expect.stringMatching(/^vgglab engine: backend wasm \(2 threads\): /)]);
    for (const key of ['forward', 'gx', 'gw', 'matmul']) {
      const a = one.result[key]!;
      const b = two.result[key]!;
      expect(b).toHaveLength(64);
      const scale = Math.max(...a.map(Math.abs));
      const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
      expect(diff / scale, key).toBeLessThan(1e-6);
    }
  }, 90_000);

  it('the shim only runs on the exact tfjs-backend-wasm version it was written for', () => {
    expect(THREADS_SHIM_TFJS_VERSION).toBe('4.22.0');
    expect(threadsShimVersionProblem('4.22.0')).toBeUndefined();
    expect(threadsShimVersionProblem('4.23.0')).toBe(
      'wasm threads need @tensorflow/tfjs-backend-wasm 4.22.0 (found 4.23.0); using 1 thread',
    );
  });
});
