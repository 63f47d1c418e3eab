/**
 * `vgglab worker`: pulls sweep points from the queue and runs each training in a child process (`vgglab exp --job`),
 * so this process's event loop stays free to renew the job's lock; reports the child's progress to the queue; on
 * SIGTERM asks every child to checkpoint and stop, and hands their jobs back without using an attempt. The child
 * writes to the tracking server; a child that fails fails its job (BullMQ tries it again, up to its attempts).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker, type JobContext, type JobOutcome, type SweepPointJob } from '@vgglab/queue';
import { EXIT, TRACKING_URI_ENV_VAR } from '../defaults.ts';
import type { Output } from '../loop/progress.ts';
import { JOB_CLAIM_ENV_VAR, type JobMessage } from './job.ts';

const BIN = fileURLToPath(new URL('../../bin/vgglab.js', import.meta.url));
/** Lines of a child's stderr kept for the job's error. */
const ERROR_LINES = 20;

export interface WorkerCommandOptions {
  server: string;
  redisUrl: string;
  concurrency: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  maxStalledCount?: number;
  /** Arguments every child gets (`--plugin` flags). */
  childArgs: string[];
  env: NodeJS.ProcessEnv;
  stdout: Output;
  stderr: Output;
}

/** Whole lines of a child's output, each prefixed; the last few kept. */
function lines(prefix: string, out: Output, keep?: string[]): (chunk: Buffer) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const line of parts) {
      out.write(`${prefix}${line}\n`);
      if (keep) {
        keep.push(line);
        if (keep.length > ERROR_LINES) keep.shift();
      }
    }
  };
}

/** The error a failed child reported (`vgglab: …`), else its last line, else how it ended. */
function failureOf(stderr: string[], code: number | null, signal: NodeJS.Signals | null): string {
  const reported = [...stderr].reverse().find((l) => l.startsWith('vgglab: '));
  if (reported) return reported.slice('vgglab: '.length);
  return signal ? `the training process was killed by ${signal}` : `the training process exited with code ${code}${stderr.length ? `: ${stderr[stderr.length - 1]}` : ''}`;
}

function runJobInChild(job: SweepPointJob, context: JobContext, opts: WorkerCommandOptions): Promise<JobOutcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-job-'));
  const file = path.join(dir, 'job.json');
  fs.writeFileSync(file, JSON.stringify(job), { mode: 0o600 });
  const child = spawn(process.execPath, [BIN, 'exp', '--job', file, ...opts.childArgs], {
    env: {
      ...opts.env,
      INIT_CWD: process.cwd(),
      [TRACKING_URI_ENV_VAR]: opts.server,
      [JOB_CLAIM_ENV_VAR]: JSON.stringify(context.claim),
      // Jobs run at once share the cores: each gets its share of wasm threads unless the user chose.
      VGGLAB_THREADS: opts.env.VGGLAB_THREADS || String(Math.max(1, Math.floor(os.availableParallelism() / opts.concurrency))),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const prefix = `[${job.label}] `;
  const stderr: string[] = [];
  child.stdout!.on('data', lines(prefix, opts.stdout));
  child.stderr!.on('data', lines(prefix, opts.stderr, stderr));
  let result: { runId: string | null; status: string } | null = null;
  child.on('message', (message: JobMessage) => {
    if (message.type === 'progress') context.progress({ runId: message.runId, step: message.step, epoch: message.epoch });
    else result = { runId: message.runId, status: message.status };
  });
  const stop = () => child.kill('SIGTERM');
  context.signal.addEventListener('abort', stop);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      context.signal.removeEventListener('abort', stop);
      fs.rmSync(dir, { recursive: true, force: true });
      if (code === EXIT.ok) resolve({ kind: 'finished', result: result ?? { runId: null, status: 'finished' } });
      else if (code === EXIT.interrupted && context.signal.aborted) resolve({ kind: 'handed-back' });
      else if (code === EXIT.fenced) resolve({ kind: 'lost', message: failureOf(stderr, code, signal) });
      else resolve({ kind: 'failed', message: failureOf(stderr, code, signal) });
    });
  });
}

export async function runWorker(opts: WorkerCommandOptions): Promise<number> {
  const worker = await startWorker({
    redisUrl: opts.redisUrl,
    concurrency: opts.concurrency,
    lockDurationMs: opts.lockDurationMs,
    stalledIntervalMs: opts.stalledIntervalMs,
    maxStalledCount: opts.maxStalledCount,
    log: (line) => opts.stdout.write(`${line}\n`),
    runJob: (job, context) => runJobInChild(job, context, opts),
  });
  opts.stdout.write(`worker ${worker.name}: training runs log to ${opts.server}; SIGTERM (Ctrl-C) checkpoints running jobs and hands them back\n`);
  let stopping = false;
  const onSignal = () => {
    if (stopping) {
      opts.stderr.write('stopping again: quitting now (running jobs go back to the queue when their locks expire)\n');
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    opts.stderr.write('stopping: running jobs checkpoint and go back to the queue\n');
    void worker.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await worker.closed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return EXIT.ok;
}
