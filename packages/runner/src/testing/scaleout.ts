/**
 * Helpers for the many-machines tests (worker/queue.test.ts): a Redis of the test's own, the tracking server
 * (`vgglab server`) and workers (`vgglab worker`) as real processes on loopback, each worker in a folder of its own
 * (a machine of its own: checkpoints reach it only through the server). Every process is started in a process group
 * of its own and stopped by its pid (SIGCONT first, for one a test stopped), in `stopAll`, which the test file calls
 * in afterEach so it runs when a test fails too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startRedis, type TestRedis } from '@vgglab/queue/testing';
import { openStore, type Run } from '@vgglab/store';
import { childEnv, tmp } from './cli.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vgglab.js');
export const SCALEOUT_TOKEN = 'scaleout-test-token-0123456789abcdef';
/** Short locks and stall checks (options, not the defaults), so a dead worker's job comes back in seconds. */
export const LOCK_MS = 3000;
export const STALLED_MS = 500;

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr as they came. */
  output(): string;
  stdout(): string;
  /** A signal to the process and its children (its process group). */
  signal(sig: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Proc[] = [];
const redises: TestRedis[] = [];

function launch(args: string[], cwd: string, env: Record<string, string> = {}): Proc {
  fs.mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: childEnv({ VGGLAB_TOKEN: SCALEOUT_TOKEN, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own: a signal reaches the worker and its training children, as on a machine.
    detached: true,
  });
  let out = '';
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c;
    stdout += c;
  });
  child.stderr!.on('data', (c: Buffer) => (out += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const proc: Proc = {
    child,
    pid: child.pid!,
    output: () => out,
    stdout: () => stdout,
    signal: (sig) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    },
    exited,
  };
  started.push(proc);
  return proc;
}

/** Stops every process the test started (by pid) and every Redis. */
export async function stopAll(): Promise<void> {
  for (const proc of started.splice(0)) {
    proc.signal('SIGCONT');
    proc.signal('SIGKILL');
    await proc.exited;
  }
  for (const redis of redises.splice(0)) await redis.cleanup();
}

export async function redis(): Promise<TestRedis> {
  const r = await startRedis();
  redises.push(r);
  return r;
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, proc?: Proc[], timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet (a file being created, a server restarting)
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${(proc ?? []).map((p) => p.output().slice(-3000)).join('\n----\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TrackingServer {
  url: string;
  dbFile: string;
  proc: Proc;
  /** Stops it (SIGTERM) and starts it again on the same port over the same file. */
  restart(): Promise<void>;
}

/** `vgglab server` in `dir/server`; with the queue when `redisUrl` is given. */
export async function trackingServer(dir: string, redisUrl?: string): Promise<TrackingServer> {
  const port = await freePort();
  const dbFile = path.join(dir, 'server', 'runs', 'vgglab.db');
  const start = async (): Promise<Proc> => {
    const queue = redisUrl ? ['--redis', redisUrl] : [];
    const proc = launch(['server', '--db', dbFile, '--port', String(port), ...queue, '--no-predict'], path.join(dir, 'server'));
    await waitUntil('the tracking server', () => proc.output().includes('Ctrl-C to stop'), [proc]);
    return proc;
  };
  const server: TrackingServer = {
    url: `http://127.0.0.1:${port}`,
    dbFile,
    proc: await start(),
    async restart() {
      server.proc.signal('SIGTERM');
      await server.proc.exited;
      server.proc = await start();
    },
  };
  return server;
}

/** A worker in a folder of its own (`dir/<name>`). */
export function worker(dir: string, name: string, server: TrackingServer, redisUrl: string): Proc {
  return launch(['worker', '--server', server.url, '--redis', redisUrl, '--lock-ms', String(LOCK_MS), '--stalled-ms', String(STALLED_MS)], path.join(dir, name));
}

/** A `vgglab …` command to completion (submitting, a local reference run, a command against a tracking server). */
export async function vgglab(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string; stdout: string }> {
  const proc = launch(args, cwd, env);
  const { code } = await proc.exited;
  return { code, output: proc.output(), stdout: proc.stdout() };
}

export function sweepYaml(dir: string, name: string, extra: string[] = []): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    [
      `name: ${name}`,
      'seed: 3',
      'model: { name: tiny-cnn, inputShape: [8, 8, 3] }',
      'data:',
      '  name: colours',
      '  batchSize: 8',
      // 48 images, batch 8: 6 steps an epoch; each batch blocks 250 ms, so a kill lands mid-run.
      '  options: { train: 48, val: 12, delayMs: 250 }',
      'optimizer: { name: plain-adam, lr: 0.02 }',
      'train: { epochs: 3, logEverySteps: 1 }',
      ...extra,
    ].join('\n'),
  );
  return file;
}

/** The runs of a store file, and each run's points by key (read-only). */
export function storeRuns(dbFile: string): { run: Run; rows: Record<string, { step: number; value: number }[]> }[] {
  const store = openStore(dbFile, { readonly: true });
  try {
    return store.listRuns({ limit: 100 }).runs.map((summary) => {
      const run = store.getRun(summary.id)!;
      const rows = Object.fromEntries(store.listMetricKeys([run.id]).map((k) => [k, store.getMetricHistory(run.id, k).map((p) => ({ step: p.step, value: p.value }))]));
      return { run, rows };
    });
  } finally {
    store.close();
  }
}

export { tmp };
