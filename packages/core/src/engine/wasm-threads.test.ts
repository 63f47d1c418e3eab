import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

// The threads start-up in a fresh process each time, as a CLI command starts it. A start-up that can never
// finish (a pthread worker that died before loading) used to leave Node with nothing to wait on: exit 13,
// no output, and a vgglab-wasm-threads-* folder in the temporary directory.
const startupProbe = fileURLToPath(new URL('./testing/threads-startup-probe.ts', import.meta.url));

interface StartupResult {
  code: number | null;
  stdout: string;
  stderr: string;
  tmp: string[];
}

function runStartupProbe(fault: string, timeoutMs?: number): Promise<StartupResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-startup-probe-'));
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  delete env.VGGLAB_BACKEND;
  delete env.VGGLAB_THREADS;
  delete env.VITEST;
  const args = ['--import', 'tsx', startupProbe, fault, ...(timeoutMs ? [String(timeoutMs)] : [])];
  return new Promise((resolve) => {
    // The timeout turns a hang into a failure (a killed child has code null).
    execFile(process.execPath, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      // tsx keeps its compile cache there; anything else is ours.
      const left = fs.readdirSync(tmp).filter((name) => !name.startsWith('tsx-'));
      fs.rmSync(tmp, { recursive: true, force: true });
      resolve({ code, stdout, stderr, tmp: left });
    });
  });
}

function parsed(r: StartupResult) {
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { info: { backend: string; threads: number }; warnings: string[]; product: number[] };
}

describe('wasm threads start-up never ends silently', () => {
  it('a pthread worker that exits before loading: one thread with a warning, exit 0, nothing left in the temporary directory', async () => {
    const r = await runStartupProbe('worker-exits');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const out = parsed(r);
    expect(out.info).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(out.warnings[0]).toMatch(/^vgglab engine: warning: wasm threads unavailable \(pthread worker 0 exited \(code 0\) before loading\); using 1 thread$/);
    expect(out.warnings[1]).toMatch(/^vgglab engine: backend wasm \(1 thread\): /);
    expect(out.product).toEqual([19, 22, 43, 50]);
    expect(r.tmp).toEqual([]);
  }, 90_000);

  it('a pthread worker that never loads: the start-up times out into one thread with a warning', async () => {
    const r = await runStartupProbe('worker-hangs', 3_000);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const out = parsed(r);
    expect(out.info).toMatchObject({ backend: 'wasm', threads: 1 });
    expect(out.warnings[0]).toBe('vgglab engine: warning: wasm threads unavailable (it did not finish within 3 s); using 1 thread');
    expect(out.product).toEqual([19, 22, 43, 50]);
    expect(r.tmp).toEqual([]);
  }, 90_000);

  it('starts 12 times, two at a time, beside a CPU-heavy process: every exit is 0 with 2 threads or a warning', async () => {
    const burner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    const results: StartupResult[] = [];
    try {
      for (let i = 0; i < 6; i++) results.push(...(await Promise.all([runStartupProbe('none'), runStartupProbe('none')])));
    } finally {
      burner.kill('SIGKILL');
    }
    // The threaded path ran (a start-up that always fell back to one thread would pass the loop below).
    expect(results.some((r) => r.code === 0 && parsed(r).info.threads === 2)).toBe(true);
    for (const r of results) {
      expect({ code: r.code, stderr: r.stderr, tmp: r.tmp }).toEqual({ code: 0, stderr: '', tmp: [] });
      const out = parsed(r);
      expect(out.product).toEqual([19, 22, 43, 50]);
      if (out.info.threads !== 2) expect(out.warnings[0]).toMatch(/^vgglab engine: warning: wasm threads unavailable/);
    }
  }, 600_000);
});
