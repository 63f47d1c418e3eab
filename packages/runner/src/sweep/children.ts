/**
 * Sweep points in child processes, `workers` at a time: each child is `vgglab exp <file> --sweep-point i`,
 * sharing the store; their output is prefixed with the point's label.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, PARENT_COMMAND_ENV } from '../defaults.ts';
import type { Output } from '../loop/progress.ts';
import type { ExpOptions, ExpOutcome } from './experiment.ts';

const BIN = fileURLToPath(new URL('../../bin/vgglab.js', import.meta.url));

/** A sweep point to run in a child: its index in the sweep and its label. */
export interface ChildPoint {
  index: number;
  label: string;
}

export async function runInChildren(points: ChildPoint[], opts: ExpOptions, outcome: ExpOutcome): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < points.length && !opts.stop.requested) await runChild(points[next++]!, opts, outcome);
  };
  await Promise.all(Array.from({ length: Math.min(opts.workers, points.length) }, worker));
}

function runChild({ index, label }: ChildPoint, opts: ExpOptions, outcome: ExpOutcome): Promise<void> {
  return new Promise<void>((resolve) => {
    const args = [BIN, 'exp', path.resolve(opts.file!), ...opts.overrides.flatMap((o) => ['-o', o]), '--sweep-point', String(index), ...(opts.childArgs ?? [])];
    if (opts.dbFlag) args.push('--db', path.resolve(opts.dbFlag));
    if (opts.server) args.push('--server', opts.server);
    const child = spawn(process.execPath, args, {
      env: {
        ...opts.env,
        INIT_CWD: process.cwd(),
        // N workers share the cores: each gets its share of wasm threads unless the user chose.
        VGGLAB_THREADS: opts.env.VGGLAB_THREADS || String(Math.max(1, Math.floor(os.availableParallelism() / opts.workers))),
        // Each child's run records the command the user typed, not the child's own arguments.
        ...(opts.command ? { [PARENT_COMMAND_ENV]: JSON.stringify(opts.command) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', prefixLines(label, opts.stdout));
    child.stderr.on('data', prefixLines(label, opts.stderr));
    child.on('close', (code, signal) => {
      if (code === EXIT.ok) outcome.runs.push({ label, status: 'finished' } as ExpOutcome['runs'][number]);
      // Ctrl-C reaches the children too: each checkpoints its run and exits 130; a re-run resumes them.
      else if (code === EXIT.interrupted) outcome.runs.push({ label, status: 'killed' } as ExpOutcome['runs'][number]);
      else outcome.failed.push({ label, message: signal ? `killed by ${signal}` : `exit code ${code}` });
      resolve();
    });
  });
}

/** Whole lines of a child's output, each prefixed with `[label] `. */
function prefixLines(label: string, out: Output): (chunk: Buffer) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString('utf8');
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) out.write(`[${label}] ${l}\n`);
  };
}
