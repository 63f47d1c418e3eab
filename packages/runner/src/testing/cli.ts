/**
 * Helpers for the CLI tests (cli/*.test.ts): the command run in this process or as the real bin in a child
 * process, with the tests' plugins (VGGLAB_PLUGINS) on the `cpu` backend, in temporary folders; a tiny
 * experiment spec; and what a store holds.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { openStore } from '@vgglab/store';
import { main } from '../cli/cli.ts';
import type { Output } from '../loop/progress.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(HERE, '..', '..', 'bin', 'vgglab.js');
/** The tests' plugins, as the child processes load them (VGGLAB_PLUGINS). */
export const TEST_PLUGINS = path.join(HERE, 'plugins.ts');

/** The folder the commands run in; every test's files are in folders below it. */
export const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-cli-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
export function tmp(): string {
  const d = path.join(root, String(counter++));
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export const childEnv = (extra: Record<string, string> = {}) => {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), VGGLAB_PLUGINS: TEST_PLUGINS, VGGLAB_BACKEND: 'cpu', ...extra };
  delete env.VITEST; // the child is a user's process, not a test worker
  delete env.VGGLAB_DB;
  // Where the command was typed: the child's cwd. Under `npm test` / `nx run-many` these name the repo root.
  delete env.INIT_CWD;
  delete env.NX_WORKSPACE_ROOT;
  return env;
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command in this process (fast: for errors and help). */
export async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out: Output = { write: (t) => void (stdout += t) };
  const err: Output = { write: (t) => void (stderr += t) };
  const code = await main(args, { stdout: out, stderr: err, env: { ...process.env, VGGLAB_PLUGINS: TEST_PLUGINS, ...env } });
  return { code, stdout, stderr };
}

/** Runs the real bin in a child process. */
export function run(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: childEnv(opts.env), cwd: opts.cwd ?? root, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function start(args: string[], env: Record<string, string> = {}): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  return Object.assign(child, { output: () => out });
}

export const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));

export async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  // The child may be creating the store while we look: a failed look is a "not yet".
  const safe = () => {
    try {
      return check();
    } catch {
      return false;
    }
  };
  while (!safe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A tiny experiment: 48 train images, batch 8 (6 steps per epoch), 12 val images. */
export function tinyYaml(dir: string, name: string, extra = '', opts: { epochs?: number; delayMs?: number } = {}): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    [
      `name: ${name}`,
      'seed: 3',
      'model:',
      '  name: tiny-cnn',
      '  inputShape: [8, 8, 3]',
      'data:',
      '  name: colours',
      '  batchSize: 8',
      `  options: { train: 48, val: 12, delayMs: ${opts.delayMs ?? 0} }`,
      'optimizer:',
      '  name: plain-adam',
      '  lr: 0.02',
      'train:',
      `  epochs: ${opts.epochs ?? 3}`,
      '  logEverySteps: 1',
      extra,
    ].join('\n'),
  );
  return file;
}

/** Metric rows of a run: (key, step) must be unique. */
export function metricRows(db: string, runId: string) {
  const store = openStore(db, { readonly: true });
  try {
    const keys = store.listMetricKeys([runId]);
    return Object.fromEntries(keys.map((k) => [k, store.getMetricHistory(runId, k).map((p) => ({ step: p.step, epoch: p.epoch, value: p.value }))]));
  } finally {
    store.close();
  }
}

export function runsIn(db: string) {
  const store = openStore(db, { readonly: true });
  try {
    return store.listRuns({ limit: 100 }).runs;
  } finally {
    store.close();
  }
}
