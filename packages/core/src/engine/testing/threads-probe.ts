/**
 * Child-process probe for wasm-threads.test.ts: starts wasm with the thread count given as argv[2], runs a
 * fixed conv forward + backward and a matmul, prints one JSON line, and returns WITHOUT process.exit, so
 * the test also proves that the process ends by itself with threads on.
 */
import { initEngine } from '../backend.ts';
import { threadsWorkload } from './threads-workload.ts';

const threads = Number(process.argv[2] ?? '1');
const warnings: string[] = [];
const info = await initEngine({ backend: 'wasm', threads, log: (line) => warnings.push(line) });

const result = threadsWorkload();
process.stdout.write(JSON.stringify({ info, warnings, result }) + '\n');
