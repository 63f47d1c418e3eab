/**
 * Child-process probe for wasm-threads.test.ts: starts wasm with 2 threads, runs one small matmul and prints
 * one JSON line, and returns WITHOUT process.exit (the process must end by itself).
 *   argv[2]: 'none' | 'worker-exits' | 'worker-hangs': a fault in the first pthread worker tfjs creates
 *            (it runs an empty script and exits, or runs a timer and never loads), as a worker that read
 *            an empty or broken script would.
 *   argv[3]: the threads start-up timeout in ms (optional).
 */
import workerThreads from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../backend.ts';

const fault = process.argv[2] ?? 'none';
const startupTimeoutMs = process.argv[3] ? Number(process.argv[3]) : undefined;

if (fault !== 'none') {
  const Original = workerThreads.Worker;
  let injected = false;
  class FaultyWorker extends Original {
    constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
      const inject = !injected;
      injected = true;
      super(inject ? (fault === 'worker-exits' ? '' : 'setInterval(() => {}, 1000)') : filename, inject ? { eval: true } : options);
    }
  }
  (workerThreads as { Worker: typeof Original }).Worker = FaultyWorker;
}

const warnings: string[] = [];
const info = await initEngine({
  backend: 'wasm',
  threads: 2,
  log: (line) => warnings.push(line),
  ...(startupTimeoutMs ? { threadsStartupTimeoutMs: startupTimeoutMs } : {}),
});
const product = tf.tidy(() => Array.from(tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync()));
process.stdout.write(JSON.stringify({ info, warnings, product }) + '\n');
