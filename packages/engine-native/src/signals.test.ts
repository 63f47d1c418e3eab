/**
 * oneDNN 2.6's JIT GEMM points rsp into the heap while it runs; a signal arriving then used to corrupt the
 * heap (`node --cpu-prof` crashed within a second: "corrupted size vs. prev_size"). The addon blocks
 * asynchronous signals around its oneDNN calls and creates its OpenMP workers with them blocked.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { loadAddon } from './addon.ts';
import { describeNative } from './testing/native.ts';

describeNative('signals during oneDNN calls', () => {
  it('a process profiled with --cpu-prof (SIGPROF every millisecond) runs GEMM-based matmuls without corrupting its heap', () => {
    const load = loadAddon();
    if (!load.ok) throw new Error(load.why);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-signals-'));
    // 32x256 · 256x256 runs on oneDNN's JIT GEMM ('gemm:jit'), on 1 and 2 threads.
    const script = `
      const addon = require(${JSON.stringify(load.file)});
      const a = new Float32Array(32 * 256).fill(1), b = new Float32Array(256 * 256).fill(1), c = new Float32Array(32 * 256);
      for (const threads of [1, 2]) {
        addon.setThreads(threads);
        const end = Date.now() + 1500;
        while (Date.now() < end) {
          addon.matmul(a, b, null, c, Int32Array.of(1, 1, 32, 256, 256, 0, 0, 0, 0), 0);
          const garbage = Array.from({ length: 200 }, (_, i) => 'x'.repeat(i)); // keep malloc busy
          if (garbage.length !== 200) throw new Error('unreachable');
        }
      }
      process.stdout.write('ok ' + c[0]);`;
    const result = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=500', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok 256');
    expect(result.status).toBe(0);
  }, 90_000);
});
