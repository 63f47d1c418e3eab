/**
 * The `vgglab` command as a user runs it: bad specs (exit code and message), help, and the child-process
 * behaviours (SIGKILL then resume, Ctrl-C, two writers on one store, a sweep with --workers 2, predict and
 * evaluate). Child processes load the tiny test plugins through VGGLAB_PLUGINS and train on `cpu` in seconds.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { main } from './cli.ts';
import type { Output } from '../loop/progress.ts';
import { METRIC } from '../defaults.ts';
import * as tf from '@tensorflow/tfjs';
import { createPredictFn } from '../inference/predict-server.ts';
import { createBuiltinRegistry } from '../plugins.ts';
import { testPlugins } from '../testing/plugins.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(HERE, '..', '..', 'bin', 'vgglab.js');
const TEST_PLUGINS = path.join(HERE, '..', 'testing', 'plugins.ts');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-cli-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
function tmp(): string {
  const d = path.join(root, String(counter++));
  fs.mkdirSync(d, { recursive: true });
  return d;
}

const childEnv = (extra: Record<string, string> = {}) => {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), VGGLAB_PLUGINS: TEST_PLUGINS, VGGLAB_BACKEND: 'cpu', ...extra };
  delete env.VITEST; // the child is a user's process, not a test worker
  delete env.VGGLAB_DB;
  // Where the command was typed: the child's cwd. Under `npm test` / `nx run-many` these name the repo root.
  delete env.INIT_CWD;
  delete env.NX_WORKSPACE_ROOT;
  return env;
};

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command in this process (fast: for errors and help). */
async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out: Output = { write: (t) => void (stdout += t) };
  const err: Output = { write: (t) => void (stderr += t) };
  const code = await main(args, { stdout: out, stderr: err, env: { ...process.env, VGGLAB_PLUGINS: TEST_PLUGINS, ...env } });
  return { code, stdout, stderr };
}

/** Runs the real bin in a child process. */
function run(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: childEnv(opts.env), cwd: opts.cwd ?? root, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function start(args: string[], env: Record<string, string> = {}): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  return Object.assign(child, { output: () => out });
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));

async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
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
function tinyYaml(dir: string, name: string, extra = '', opts: { epochs?: number; delayMs?: number } = {}): string {
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
function metricRows(db: string, runId: string) {
  const store = openStore(db, { readonly: true });
  try {
    const keys = store.listMetricKeys([runId]);
    return Object.fromEntries(keys.map((k) => [k, store.getMetricHistory(runId, k).map((p) => ({ step: p.step, epoch: p.epoch, value: p.value }))]));
  } finally {
    store.close();
  }
}

function runsIn(db: string) {
  const store = openStore(db, { readonly: true });
  try {
    return store.listRuns({ limit: 100 }).runs;
  } finally {
    store.close();
  }
}

describe('vgglab: usage and bad specs', () => {
  it('prints help for every command and sub-command, exit 0', async () => {
    for (const args of [['--help'], ['exp', '--help'], ['runs', '--help'], ['runs', 'show', '--help'], ['runs', 'diff', '--help'], ['runs', 'delete', '--help'], ['runs', 'gc', '--help'], ['predict', '--help'], ['evaluate', '--help'], ['models', '--help'], ['data', '--help'], ['data', 'split', '--help'], ['data', 'check', '--help'], ['data', 'fetch', '--help'], ['data', 'import-idx', '--help'], ['serve', '--help']]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/^Usage: vgglab/);
      expect(r.stdout).toContain('--help');
    }
  });

  it('an unknown command or option is a one-line error with exit code 2', async () => {
    const a = await cli(['trian']);
    expect(a.code).toBe(2);
    expect(a.stderr).toBe("vgglab: unknown command 'trian'; run `vgglab --help`\n");
    const b = await cli(['exp', 'x.yaml', '--epochs', '3']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/^vgglab: exp: Unknown option '--epochs'/);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reports every problem of a bad spec with file:line:column, exit code 2, and creates no run', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      file,
      ['name: bad', 'model:', '  name: tiny-cnn', 'data:', '  name: colours', 'optimizer:', '  name: plain-adam', '  lr: -1', 'train:', '  epochs: 2', '  epochz: 3', ''].join('\n'),
    );
    const db = path.join(dir, 'v.db');
    const r = await cli(['exp', file, '--db', db]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^vgglab: .*bad\\.yaml:8:7 optimizer\\.lr must be > 0, received -1$`));
    expect(lines[1]).toMatch(/bad\.yaml:11:3 train.*epochz/);
    expect(fs.existsSync(db)).toBe(false);
  });

  it('names unknown plugins with a suggestion, bad overrides, YAML errors, a missing file, and a bad monitor', async () => {
    const dir = tmp();
    const ok = tinyYaml(dir, 'ok');
    const unknownModel = await cli(['exp', ok, '-o', 'model.name=tiny-cn', '--db', path.join(dir, 'v.db')]);
    expect(unknownModel.code).toBe(2);
    expect(unknownModel.stderr).toMatch(/override -o model.name=tiny-cn: model.name must name a registered model, received .tiny-cn.; did you mean 'tiny-cnn'/);

    const badOverride = await cli(['exp', ok, '-o', 'optimizer.lr=fast']);
    expect(badOverride.code).toBe(2);
    expect(badOverride.stderr).toMatch(/override -o optimizer.lr=fast: optimizer.lr must be a number, received .fast.$/m);

    const yamlFile = path.join(dir, 'broken.yaml');
    fs.writeFileSync(yamlFile, 'name: x\nmodel: [unclosed\n');
    const broken = await cli(['exp', yamlFile]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yaml:\d+:\d+ YAML syntax error/);

    const missing = await cli(['exp', path.join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml: cannot read the spec file: no such file/);

    const monitor = await cli(['exp', ok, '-o', 'train.monitor=val/acc', '--db', path.join(dir, 'm.db')]);
    expect(monitor.code).toBe(1);
    expect(monitor.stderr).toMatch(/^vgglab: train.monitor must be one of .*val\/accuracy.*received 'val\/acc'/);
  });

  it('a missing flowers folder says how to get it', async () => {
    const dir = tmp();
    const file = path.join(dir, 'flowers.yaml');
    fs.writeFileSync(
      file,
      ['name: flowers', 'model: { name: tiny-cnn, inputShape: [8, 8, 3] }', 'data:', '  name: imageFolder', '  options: { root: ../data/flower_photos }', 'optimizer: { name: plain-sgd, lr: 0.1 }', 'train: { epochs: 1 }', ''].join('\n'),
    );
    const r = await cli(['exp', file, '--db', path.join(dir, 'v.db')], { VGGLAB_BACKEND: 'cpu' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/flower_photos' does not exist; get it with `vgglab data fetch flowers --dest .*data`/);
  });

  it('models lists the registered models with parameter counts (--json and a glob)', async () => {
    const r = await cli(['models', 'vgg1[16]', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; params: number; inputShape: number[] }[];
    expect(rows.map((x) => x.name)).toEqual(['vgg11', 'vgg16']);
    expect(rows.map((x) => x.params)).toEqual([132_863_336, 138_357_544]);
    expect(rows[0]!.inputShape).toEqual([224, 224, 3]);
    const table = await cli(['models']);
    expect(table.stdout).toMatch(/^NAME\s+PARAMS/);
    expect(table.stdout).toMatch(/tiny-cnn .* test-models/);
  });

  it('data check and data split wrap the data package (--json)', async () => {
    const dir = tmp();
    for (const cls of ['cats', 'dogs']) {
      fs.mkdirSync(path.join(dir, 'pets', cls), { recursive: true });
      for (let i = 0; i < 4; i++) {
        await sharp(Buffer.alloc(6 * 5 * 3, 40 * i), { raw: { width: 6, height: 5, channels: 3 } }).png().toFile(path.join(dir, 'pets', cls, `${i}.png`));
      }
    }
    fs.writeFileSync(path.join(dir, 'pets', 'dogs', 'broken.png'), 'not a png');
    const check = await cli(['data', 'check', path.join(dir, 'pets'), '--json']);
    const report = JSON.parse(check.stdout);
    expect(report.images).toBe(8);
    expect(report.bad).toHaveLength(1);
    expect(check.code).toBe(report.ok ? 0 : 1);
    const split = await cli(['data', 'split', path.join(dir, 'pets'), '--val', '0.25', '--seed', '0', '--json']);
    expect(split.code, split.stderr).toBe(0);
    const out = JSON.parse(split.stdout);
    expect(out.counts.cats).toEqual({ train: 3, val: 1 });
    expect(fs.existsSync(out.manifestPath)).toBe(true);
    const bad = await cli(['data', 'split', path.join(dir, 'pets'), '--val', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("vgglab: --val must be a number, received 'lots'\n");
  });

  it('runs diff shows the params that differ and every metric; runs delete says what it would delete, then deletes rows and the run folder only', async () => {
    const dir = tmp();
    const db = path.join(dir, 'vgglab.db');
    const store = openStore(db);
    const make = (name: string, lr: number, acc: number, status: 'finished' | 'running') => {
      const run = store.createRun({ specHash: `h-${name}`, experiment: 'diffs', name, resolvedSpec: { model: { name: 'vgg11' }, optimizer: { name: 'adam', lr } } });
      store.logBatch(run.id, { metrics: [{ key: 'val/accuracy', value: acc / 2, step: 1 }, { key: 'val/accuracy', value: acc, step: 2 }] });
      const ckpt = path.join(dir, run.id, 'checkpoints', 'best');
      fs.mkdirSync(ckpt, { recursive: true });
      fs.writeFileSync(path.join(ckpt, 'model.json'), '{}');
      store.logArtifact(run.id, { kind: 'checkpoint-best', path: ckpt });
      if (status === 'finished') store.setRunStatus(run.id, 'finished');
      return run.id;
    };
    const a = make('a', 0.01, 0.8, 'finished');
    const b = make('b', 0.001, 0.9, 'finished');
    const live = make('live', 0.1, 0.5, 'running');
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'not a run file');
    store.close();

    const diff = await cli(['runs', 'diff', a, b, '--db', db]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toMatch(/optimizer\.lr\s+0\.01\s+0\.001/);
    expect(diff.stdout).not.toMatch(/model\.name/); // the same in both
    expect(diff.stdout).toMatch(/val\/accuracy\s+0\.8000 \/ 0\.4000 \/ 0\.8000\s+0\.9000 \/ 0\.4500 \/ 0\.9000/);
    const diffJson = JSON.parse((await cli(['runs', 'diff', a, b, '--db', db, '--json'])).stdout);
    expect(diffJson.params).toEqual({ 'optimizer.lr': ['0.01', '0.001'] });
    expect((await cli(['runs', 'diff', a, '--db', db])).code).toBe(2);

    // Without --yes nothing changes.
    const dry = await cli(['runs', 'delete', a, '--db', db]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`would delete run ${a} (diffs, finished, 2 metric points, folder ${path.join(dir, a)})`);
    expect(dry.stdout).toContain('nothing deleted: run again with --yes');
    expect(fs.existsSync(path.join(dir, a))).toBe(true);
    // A running run among them: refused, and nothing of the others is deleted either.
    const refused = await cli(['runs', 'delete', a, live, '--yes', '--db', db]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`run ${live} is running .*stop it first`));
    expect(fs.existsSync(path.join(dir, a))).toBe(true);

    const done = await cli(['runs', 'delete', a, '--yes', '--db', db]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`deleted run ${a}`);
    expect(fs.existsSync(path.join(dir, a))).toBe(false);
    expect(fs.existsSync(path.join(dir, b, 'checkpoints', 'best', 'model.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'keep.txt'))).toBe(true);
    const after = openStore(db, { readonly: true });
    try {
      expect(after.listRuns().runs.map((r) => r.id).sort()).toEqual([b, live].sort());
      expect(after.getMetricHistory(b, 'val/accuracy')).toHaveLength(2);
    } finally {
      after.close();
    }
  });

  it('runs commands fail cleanly on a missing store or an unknown run', async () => {
    const dir = tmp();
    const r = await cli(['runs', '--db', path.join(dir, 'none.db')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vgglab: no run store at .*none\.db; run an experiment first/);
  });
});

describe('vgglab exp in child processes', () => {
  it('resumes after SIGKILL mid-epoch: same epochs, metric rows without duplicates, same as an uninterrupted run', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    // Uninterrupted reference.
    const refFile = tinyYaml(dir, 'ref', '', { epochs: 3 });
    const ref = await run(['exp', refFile, '--db', path.join(dir, 'ref.db')]);
    expect(ref.code, ref.stderr).toBe(0);
    const refRun = runsIn(path.join(dir, 'ref.db'))[0]!;
    const refRows = metricRows(path.join(dir, 'ref.db'), refRun.id);

    // 400 ms per batch: the store sees points within a second (the queue's flush), i.e. within ~3 steps.
    const file = tinyYaml(dir, 'ref', '', { epochs: 3, delayMs: 400 });
    const child = start(['exp', file, '--db', db]);
    const done = exited(child);
    // Kill it in the middle of the second epoch (global steps 7..12), after epoch 1's checkpoint.
    await waitFor('step 9 in the store', () => {
      if (!fs.existsSync(db)) return false;
      const runs = runsIn(db);
      if (!runs[0]) return false;
      return (metricRows(db, runs[0].id)[METRIC.trainLoss] ?? []).some((p) => p.step >= 8);
    });
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    const runId = runsIn(db)[0]!.id;
    expect(runsIn(db)[0]!.status).toBe('running');
    // Points after the epoch-1 checkpoint (step 6) were logged before the kill: resume must drop them.
    expect(metricRows(db, runId)[METRIC.trainLoss]!.some((p) => p.step > 6)).toBe(true);
    expect(metricRows(db, runId)[METRIC.valAccuracy]).toHaveLength(1);

    const gc = await run(['runs', 'gc', '--db', db]);
    expect(gc.code).toBe(0);
    expect(gc.stdout).toContain(runId);
    expect(runsIn(db)[0]!.status).toBe('killed');

    const resumed = await run(['exp', '--resume', runId.slice(0, 8), '--db', db]);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.stdout).toMatch(/resuming run .* at epoch 2, step 0 \(global step 6\)/);
    const after = runsIn(db);
    expect(after).toHaveLength(1);
    expect(after[0]!.status).toBe('finished');
    const rows = metricRows(db, runId);
    expect(rows[METRIC.valAccuracy]!.map((p) => p.epoch)).toEqual([0, 1, 2]);
    for (const [key, points] of Object.entries(rows)) {
      const steps = points.map((p) => p.step);
      expect(new Set(steps).size, key).toBe(steps.length);
    }
    expect(rows[METRIC.trainLoss]!.map((p) => p.step)).toEqual(refRows[METRIC.trainLoss]!.map((p) => p.step));
    // Same seed, same data order, same optimizer state: the resumed run matches the uninterrupted one.
    rows[METRIC.trainLoss]!.forEach((p, i) => expect(p.value).toBeCloseTo(refRows[METRIC.trainLoss]![i]!.value, 4));
    expect(rows[METRIC.valAccuracy]!.map((p) => p.value)).toEqual(refRows[METRIC.valAccuracy]!.map((p) => p.value));
  }, 120_000);

  it('Ctrl-C finishes the step, writes a checkpoint, marks the run killed (exit 130); --resume finishes it', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    const file = tinyYaml(dir, 'ctrlc', '', { epochs: 2, delayMs: 400 });
    const child = start(['exp', file, '--db', db]);
    const done = exited(child);
    await waitFor('step 3', () => / step [3-6]\/6/.test(child.output()) || (fs.existsSync(db) && runsIn(db).length > 0 && (metricRows(db, runsIn(db)[0]!.id)[METRIC.trainLoss] ?? []).length >= 3));
    child.kill('SIGINT');
    const { code } = await done;
    expect(code, child.output()).toBe(130);
    expect(child.output()).toContain('checkpoint written');
    const [r] = runsIn(db);
    expect(r!.status).toBe('killed');
    const state = JSON.parse(fs.readFileSync(path.join(dir, r!.id, 'checkpoints', 'last', 'state.json'), 'utf8'));
    expect(state.stepInEpoch).toBeGreaterThan(0);
    const resumed = await run(['exp', '--resume', r!.id, '--db', db]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(runsIn(db)[0]!.status).toBe('finished');
    expect(metricRows(db, r!.id)[METRIC.trainLoss]!.map((p) => p.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  }, 120_000);

  it('two processes log to one store at once without errors', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    const a = tinyYaml(dir, 'a', '', { epochs: 2 });
    const b = tinyYaml(dir, 'b', '', { epochs: 2 });
    const [ra, rb] = await Promise.all([run(['exp', a, '--db', db]), run(['exp', b, '--db', db])]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const runs = runsIn(db);
    expect(runs.map((r) => r.experimentName).sort()).toEqual(['a', 'b']);
    for (const r of runs) {
      expect(r.status).toBe('finished');
      expect(metricRows(db, r.id)[METRIC.trainLoss]).toHaveLength(12);
    }
  }, 120_000);

  it('a 2x2 sweep with --workers 2 runs four runs under one experiment; running it again resumes the interrupted one and skips finished ones', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    const file = tinyYaml(dir, 'sweep', 'sweep:\n  optimizer.name: [plain-sgd, plain-adam]\n  optimizer.lr: [0.01, 0.05]\n', { epochs: 1 });
    const r = await run(['exp', file, '--workers', '2', '--db', db]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('sweep sweep: 4 points, 4 to run, 0 skipped; workers 2');
    const runs = runsIn(db);
    expect(runs).toHaveLength(4);
    expect(new Set(runs.map((x) => x.experimentName))).toEqual(new Set(['sweep']));
    expect(runs.every((x) => x.status === 'finished')).toBe(true);
    expect(new Set(runs.map((x) => `${x.params['optimizer.name']}@${x.params['optimizer.lr']}`)).size).toBe(4);
    expect(new Set(runs.map((x) => x.pid)).size).toBeGreaterThan(1);
    // One run interrupted (as Ctrl-C leaves it): running the sweep again resumes that one and skips the rest.
    const interrupted = runs[0]!.id;
    const w = openStore(db);
    w.setRunStatus(interrupted, 'killed');
    w.close();
    const again = await run(['exp', file, '--workers', '2', '--db', db]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('4 points, 1 to run, 3 skipped');
    expect(again.stdout).toContain(`resuming run ${interrupted}`);
    const final = runsIn(db);
    expect(final).toHaveLength(4);
    expect(final.every((x) => x.status === 'finished')).toBe(true);
    const third = await run(['exp', file, '--db', db]);
    expect(third.stdout).toContain('4 points, 0 to run, 4 skipped');
  }, 120_000);
});

describe('vgglab predict and evaluate on a trained tiny run', () => {
  it('predicts class probabilities with the run preprocessing and stores an evaluation with a confusion matrix', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    const file = tinyYaml(dir, 'trained', '', { epochs: 4 });
    const trained = await run(['exp', file, '--db', db]);
    expect(trained.code, trained.stderr).toBe(0);
    const runId = runsIn(db)[0]!.id;

    // Image files the colour classes describe: one channel bright.
    const images = path.join(dir, 'images');
    const colours: Record<string, [number, number, number]> = { red: [230, 80, 90], green: [70, 225, 85], blue: [85, 75, 235] };
    for (const [name, rgb] of Object.entries(colours)) {
      fs.mkdirSync(path.join(images, name), { recursive: true });
      for (let i = 0; i < 3; i++) {
        const px = Buffer.alloc(8 * 8 * 3);
        for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) px[p * 3 + c] = Math.max(0, Math.min(255, rgb[c]! + ((p * 7 + i * 13 + c * 5) % 21) - 10));
        await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(path.join(images, name, `${i}.png`));
      }
    }
    const p = await run(['predict', '--run', runId, path.join(images, 'red', '0.png'), path.join(images, 'blue', '1.png'), '--top', '2', '--json', '--db', db]);
    expect(p.code, p.stderr).toBe(0);
    const out = JSON.parse(p.stdout);
    expect(out.predictions).toHaveLength(2);
    expect(out.predictions[0].top).toHaveLength(2);
    expect(out.predictions[0].top[0].className).toBe('red');
    expect(out.predictions[1].top[0].className).toBe('blue');
    const all = await run(['predict', '--run', runId, path.join(images, 'green', '2.png'), '--top', '3', '--json', '--db', db]);
    const sum = JSON.parse(all.stdout).predictions[0].top.reduce((a: number, t: { probability: number }) => a + t.probability, 0);
    expect(sum).toBeCloseTo(1, 4);

    const byCheckpoint = await run(['predict', '--checkpoint', path.join(dir, runId, 'checkpoints', 'best'), path.join(images, 'green', '0.png')]);
    expect(byCheckpoint.code, byCheckpoint.stderr).toBe(0);
    expect(byCheckpoint.stdout).toMatch(/green\/0\.png\n\s+\d+\.\d+%\s+green/);

    const e = await run(['evaluate', '--run', runId, '--data', images, '--json', '--db', db]);
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.samples).toBe(9);
    expect(ev.classNames).toEqual(['red', 'green', 'blue']);
    expect(ev.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(9);
    expect(ev.accuracy).toBeCloseTo(ev.confusionMatrix.reduce((a: number, row: number[], i: number) => a + row[i]!, 0) / 9, 6);
    expect(ev.accuracy).toBeGreaterThan(0.6);
    expect(ev.perClass.map((c: { support: number }) => c.support)).toEqual([3, 3, 3]);

    const val = await run(['evaluate', '--run', runId, '--db', db]);
    expect(val.code, val.stderr).toBe(0);
    expect(val.stdout).toMatch(/accuracy \d\.\d{4}/);
    expect(val.stdout).toContain('confusion matrix');

    const store = openStore(db, { readonly: true });
    const evaluations = store.listEvaluations(runId);
    store.close();
    expect(evaluations).toHaveLength(2);
    expect(evaluations.map((x) => x.dataset).sort()).toEqual([images, 'val'].sort());

    const shown = await run(['runs', 'show', runId, '--json', '--db', db]);
    const details = JSON.parse(shown.stdout);
    expect(details.metricHistory[METRIC.valAccuracy]).toHaveLength(4);
    expect(details.artifacts.map((a: { kind: string }) => a.kind).sort()).toEqual(['checkpoint-best', 'checkpoint-last']);
    const listed = await run(['runs', '--json', '--status', 'finished', '--limit', '5', '--db', db]);
    expect(JSON.parse(listed.stdout).runs.map((r: { id: string }) => r.id)).toEqual([runId]);
    const none = await run(['runs', '--status', 'killed', '--db', db]);
    expect(none.stdout).toBe('no runs\n');

    // The predict function `vgglab serve` gives the dashboard: run id + uploaded bytes -> every class.
    await tf.setBackend('cpu');
    const predict = createPredictFn(db, createBuiltinRegistry(testPlugins()));
    const served = await predict(runId.slice(0, 8), fs.readFileSync(path.join(images, 'red', '1.png')));
    expect(served.map((p) => p.label).sort()).toEqual(['blue', 'green', 'red']);
    expect(served[0]!.label).toBe('red');
    expect(served.reduce((a, p) => a + p.probability, 0)).toBeCloseTo(1, 4);
    await expect(predict(runId, Buffer.from('not an image'))).rejects.toMatchObject({ statusCode: 400 });
  }, 120_000);
});

/**
 * The root README's "Writing a model plugin" guide, done as it says with the real example file: the commands
 * and the spec fields it shows must keep working (the spec here is the README's, made tiny).
 */
describe("the README's model plugin guide (examples/tiny-cnn.ts through the real CLI)", () => {
  const EXAMPLE = path.resolve(HERE, '..', '..', '..', 'models-vgg', 'examples', 'tiny-cnn.ts');
  // Only what the README loads: no test plugins from VGGLAB_PLUGINS.
  const env = { VGGLAB_PLUGINS: '', VGGLAB_BACKEND: 'cpu' };

  it("vgglab models 'tiny*' --plugin ./tiny-cnn.ts lists tiny_cnn with its parameter count", async () => {
    const r = await run(['models', 'tiny*', '--plugin', EXAMPLE, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; plugin: string; params: number; inputShape: number[] }[];
    expect(rows.map((x) => [x.name, x.plugin])).toEqual([['tiny_cnn', 'tiny-cnn']]);
    // Defaults: 32x32x3, 10 classes, filters 8 then 16: conv 3x3x3x8+8, conv 3x3x8x16+16, dense 16x10+10.
    expect(rows[0]!.params).toBe(3 * 3 * 3 * 8 + 8 + (3 * 3 * 8 * 16 + 16) + (16 * 10 + 10));
    expect(rows[0]!.inputShape).toEqual([32, 32, 3]);
    // Without the plugin there is no such model.
    const without = await run(['models', 'tiny*'], { env });
    expect(without.stdout).toContain("no model matches 'tiny*'");
  }, 120_000);

  it('vgglab exp experiments/tiny-shapes.yaml --plugin ./tiny-cnn.ts trains tiny_cnn on shapes to a finished run', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'experiments'));
    fs.writeFileSync(
      path.join(dir, 'experiments', 'tiny-shapes.yaml'),
      [
        'name: tiny-shapes',
        'model:',
        '  name: tiny_cnn',
        '  inputShape: [16, 16, 3]',
        '  options: { filters: 4, blocks: 2 }',
        '  freeze: none',
        'data:',
        '  name: shapes',
        '  options: { classes: 3, trainCount: 60, valCount: 20 }',
        'optimizer: { name: adam, lr: 0.001 }',
        'train: { epochs: 2 }',
        '',
      ].join('\n'),
    );
    const r = await run(['exp', 'experiments/tiny-shapes.yaml', '--plugin', EXAMPLE], { env, cwd: dir });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // The default store: runs/vgglab.db where the command was run.
    const store = openStore(path.join(dir, 'runs', 'vgglab.db'));
    try {
      const runs = store.listRuns().runs;
      expect(runs).toHaveLength(1);
      const stored = store.getRun(runs[0]!.id)!;
      expect(stored.status).toBe('finished');
      expect(stored.experimentName).toBe('tiny-shapes');
      expect([stored.params['model.name'], stored.params['data.name'], stored.params['model.options.filters']]).toEqual(['tiny_cnn', 'shapes', '4']);
      expect(store.getMetricHistory(stored.id, METRIC.trainEpochLoss)).toHaveLength(2);
      expect(stored.artifacts.map((a) => a.kind).sort()).toEqual(['checkpoint-best', 'checkpoint-last']);
    } finally {
      store.close();
    }
  }, 120_000);

  it("a spec's plugins: loads the module (relative to the spec) without --plugin; the run's predict finds it; naming it twice is no duplicate", async () => {
    const dir = tmp();
    const specDir = path.join(dir, 'experiments');
    fs.mkdirSync(specDir);
    const spec = (plugins: string) =>
      [
        'name: tiny-spec-plugins',
        `plugins: [${plugins}]`,
        'model: { name: tiny_cnn, inputShape: [16, 16, 3], options: { filters: 4, blocks: 2 } }',
        'data: { name: shapes, options: { classes: 3, trainCount: 30, valCount: 9 } }',
        'optimizer: { name: adam, lr: 0.001 }',
        'train: { epochs: 1 }',
        '',
      ].join('\n');
    fs.writeFileSync(path.join(specDir, 'ok.yaml'), spec(JSON.stringify(path.relative(specDir, EXAMPLE))));
    fs.writeFileSync(path.join(specDir, 'missing.yaml'), spec('./no-such-plugin.ts'));

    const missing = await cli(['exp', path.join(specDir, 'missing.yaml')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing\.yaml: plugins\[0\]: cannot load plugin module '\.\/no-such-plugin\.ts'/);

    // The same module from the spec and from --plugin: registered once, not a duplicate-name error.
    const r = await run(['exp', 'experiments/ok.yaml', '--plugin', EXAMPLE], { env, cwd: dir });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const store = openStore(path.join(dir, 'runs', 'vgglab.db'));
    let runId: string;
    try {
      const runs = store.listRuns().runs;
      expect(runs.map((x) => x.status)).toEqual(['finished']);
      runId = runs[0]!.id;
    } finally {
      store.close();
    }
    // predict rebuilds tiny_cnn from the run's own spec plugins: no --plugin given.
    const image = path.join(dir, 'image.png');
    await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toFile(image);
    const predicted = await run(['predict', '--run', runId, image, '--json'], { env, cwd: dir });
    expect(predicted.code, predicted.stderr).toBe(0);
    const top = (JSON.parse(predicted.stdout) as { predictions: { top: { probability: number }[] }[] }).predictions[0]!.top;
    expect(top).toHaveLength(3);
    expect(top.reduce((a, t) => a + t.probability, 0)).toBeCloseTo(1, 4);
  }, 180_000);
});
