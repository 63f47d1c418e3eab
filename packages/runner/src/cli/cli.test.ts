/**
 * The `vgglab` command as a user runs it: help, usage errors, bad specs (exit code and message), and the
 * commands that read the store or the data (models, data, runs). The child-process behaviours are in
 * exp.test.ts, predict and evaluate in predict.test.ts, the README's plugin guide in plugin-guide.test.ts.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { cli, root, run, tinyYaml, tmp } from '../testing/cli.ts';

// The commands run in this process load tfjs, core and the plugins on first use: seconds on a busy 2-core
// machine. Loaded once here (as this file's imports did before it was split), not inside the first test.
beforeAll(async () => {
  await Promise.all([import('../sweep/experiment.ts'), import('../plugins.ts'), import('../inference/predict.ts')]);
}, 60_000);

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

  it("runs refuses another application's SQLite file: says so, names it, exits 1, and leaves it byte for byte", async () => {
    const dir = tmp();
    const other = path.join(dir, 'other-app.db');
    const app = new Database(other);
    app.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ('keep me')");
    app.close();
    const snapshot = () => ({ sha256: createHash('sha256').update(fs.readFileSync(other)).digest('hex'), files: fs.readdirSync(dir).sort() });
    const before = snapshot();
    for (const args of [['runs'], ['runs', 'show', 'abcd1234'], ['runs', 'diff', 'abcd', 'ef01'], ['runs', 'gc'], ['runs', 'delete', 'abcd', '--yes']]) {
      const r = await cli([...args, '--db', other]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^vgglab: .*other-app\.db is not a vgglab run store: .*another application \(tables notes\)/);
      expect(r.stdout).toBe('');
      expect(snapshot(), args.join(' ')).toEqual(before);
    }
    // Commands that only read never create or migrate: an empty SQLite file stays empty.
    const empty = path.join(dir, 'empty.db');
    new Database(empty).close();
    for (const args of [['runs'], ['runs', 'show', 'abcd1234'], ['runs', 'diff', 'abcd', 'ef01']]) {
      const r = await cli([...args, '--db', empty]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/empty\.db: run store schema version 0 is older/);
      expect(fs.statSync(empty).size).toBe(0);
      expect(fs.readdirSync(dir).sort()).toEqual(['empty.db', 'other-app.db']);
    }
  });

  it('runs commands fail cleanly on a missing store or an unknown run', async () => {
    const dir = tmp();
    const r = await cli(['runs', '--db', path.join(dir, 'none.db')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vgglab: no run store at .*none\.db; run an experiment first/);
  });

  it('serve refuses an address beyond loopback without a token, in one line, before loading model code', async () => {
    const r = await cli(['serve', '--host', '0.0.0.0', '--db', path.join(tmp(), 'none.db')], { VGGLAB_TOKEN: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vgglab: refusing to serve 0\.0\.0\.0 without a token: .*--token <secret> or VGGLAB_TOKEN.*\n$/);
  });
});

describe('vgglab never ends silently', () => {
  it('a command left waiting on something that can never happen prints one line and exits 1, not a silent 13', async () => {
    // A plugin module whose top-level await never settles: the command waits on its import with nothing
    // left in Node's event loop, the way a threads start-up waited on a dead pthread worker.
    const dir = tmp();
    const stuck = path.join(dir, 'stuck-plugin.mjs');
    fs.writeFileSync(stuck, "await new Promise(() => {});\nexport default { name: 'stuck' };\n");
    const r = await run(['models', '--json'], { env: { VGGLAB_PLUGINS: stuck } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'vgglab: internal error: the command stopped while waiting for something that can no longer happen (Node exit 13); it did not finish\n',
    );
  }, 120_000);
});
