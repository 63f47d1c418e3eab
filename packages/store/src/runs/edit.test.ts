import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore } from '../store.ts';
import { migrate } from '../storage/schema.ts';
import { spec, tempDir, tempStore } from '../testing/temp.ts';
import { runFolder } from './folder.ts';

describe('editing a run (editRun)', () => {
  it('renames, writes a note, stars, sets and removes tags in one call; the run list and its text filter see it', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: spec(), tags: { sweep: 'lr', keep: 'yes' } });
    const edited = store.editRun(run.id, {
      name: '  lr probe  ',
      note: 'diverged after warm-up',
      starred: true,
      tags: { set: { reviewed: 'ana' }, remove: ['sweep'] },
    });
    expect(edited).toMatchObject({ id: run.id, name: 'lr probe', note: 'diverged after warm-up', starred: true });
    const details = store.getRun(run.id)!;
    expect(details.tags).toEqual({ keep: 'yes', reviewed: 'ana' });
    expect(details.note).toBe('diverged after warm-up');
    // the free-text filter reads the new name and tags, not the removed tag's value
    expect(store.listRuns({ text: 'probe' }).runs.map((r) => r.id)).toEqual([run.id]);
    expect(store.listRuns({ text: 'ana' }).total).toBe(1);
    expect(store.listRuns({ text: 'lr probe' }).runs[0]).toMatchObject({ starred: true, note: 'diverged after warm-up' });
    store.createRun({ specHash: 'h2', experiment: 'e', resolvedSpec: spec(), tags: { sweep: 'lr' } });
    expect(store.listRuns({ text: 'lr' }).total).toBe(2); // 'lr probe' and the other's tag value
    expect(store.listRuns({ starred: true }).runs.map((r) => r.id)).toEqual([run.id]);
    expect(store.listRuns({ starred: false }).total).toBe(1);
    // fields left out stay; a note is cleared with ''
    store.editRun(run.id, { note: '' });
    expect(store.getRun(run.id)).toMatchObject({ name: 'lr probe', note: '', starred: true });
  });

  it('refuses a bad edit with the field named, and writes none of it', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: spec(), name: 'before' });
    const bad: [unknown, RegExp][] = [
      [{ name: '   ' }, /name must be 1\.\.200 characters/],
      [{ name: 'x'.repeat(201) }, /name must be/],
      [{ note: 'x'.repeat(10_001) }, /note must be a string of at most 10000/],
      [{ starred: 'yes' }, /starred must be true or false, received "yes"/],
      [{ tags: { set: { a: 1 } } }, /tags\.set\.value \(a\) must be a string/],
      [{ tags: { set: { a: 'b' }, remove: ['a'] } }, /tag "a" is both set and removed/],
      [{ tags: { remove: [''] } }, /tags\.remove\[0\] must be a string of 1\.\.250/],
      [{ status: 'finished' }, /unknown field "status"/],
    ];
    for (const [edit, message] of bad) {
      expect(() => store.editRun(run.id, { name: 'after', ...(edit as object) }), JSON.stringify(edit)).toThrow(message);
    }
    expect(store.getRun(run.id)).toMatchObject({ name: 'before', note: '', starred: false });
    expect(() => store.editRun('nope1234', { note: 'x' })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('a reader opened before an edit sees it (WAL), and a read-only store cannot edit', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: spec() });
    const reader = openStore(store.file, { readonly: true });
    try {
      store.editRun(run.id, { note: 'seen' });
      expect(reader.getRun(run.id)!.note).toBe('seen');
      expect(() => reader.editRun(run.id, { note: 'no' })).toThrow(expect.objectContaining({ code: 'READONLY' }));
    } finally {
      reader.close();
    }
  });
});

describe('deleting a run', () => {
  it('refuses a run that shows as running, naming it; once it ended it goes with everything it owns', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: spec() }); // this process: alive
    store.logBatch(run.id, { metrics: [{ key: 'loss', value: 1, step: 1 }] });
    expect(() => store.deleteRun(run.id)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(() => store.deleteRun(run.id)).toThrow(new RegExp(`run "${run.id}" is running \\(pid ${process.pid} on .*\\); stop it first`));
    expect(store.getRun(run.id)).toBeDefined();
    store.setRunStatus(run.id, 'killed');
    store.deleteRun(run.id);
    expect(store.getRun(run.id)).toBeUndefined();
  });

  it('runFolder names the nearest artifact folder called after the run, never a shared parent', () => {
    const file = join('/data', 'runs', 'vgglab.db');
    const run = { id: 'abcd1234', artifacts: [{ path: 'abcd1234/checkpoints/best' }] };
    expect(runFolder(file, run)).toBe(join('/data', 'runs', 'abcd1234'));
    expect(runFolder(file, { id: 'abcd1234', artifacts: [{ path: '/elsewhere/best' }] })).toBeUndefined();
    expect(runFolder(file, { id: 'abcd1234', artifacts: [] })).toBeUndefined();
  });
});

describe('how a run was started', () => {
  it('keeps the command line and the -o overrides; bad ones are refused', () => {
    const store = tempStore();
    const command = ['vgglab', 'exp', 'experiments/quickstart.yaml', '-o', 'optimizer.lr=0.02'];
    const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: spec(), command, overrides: ['optimizer.lr=0.02'] });
    expect(store.getRun(run.id)).toMatchObject({ command, overrides: ['optimizer.lr=0.02'] });
    expect(store.listRuns().runs[0]).toMatchObject({ command, overrides: ['optimizer.lr=0.02'] });
    const plain = store.createRun({ specHash: 'h2', experiment: 'e', resolvedSpec: spec() });
    expect(store.getRun(plain.id)).toMatchObject({ command: null, overrides: [] });
    expect(() => store.createRun({ specHash: 'h3', experiment: 'e', resolvedSpec: spec(), overrides: [3 as unknown as string] })).toThrow(
      /createRun: overrides must be an array of at most 200 strings/,
    );
  });

  it('a version-5 file gets the new columns when opened for writing, its runs unnoted and unstarred', () => {
    const file = join(tempDir(), 'v5.db');
    const db = new Database(file);
    migrate(db, file, 5);
    db.exec(`INSERT INTO experiments(id, name, created_at) VALUES (1, 'e', 0);
      INSERT INTO runs(pk, id, experiment_id, name, status, start_time, heartbeat_at, resolved_spec, spec_hash, host)
        VALUES (1, 'abcdef01', 1, 'old', 'finished', 0, 0, '{}', 'h', 'host');`);
    db.close();
    const store = openStore(file);
    try {
      expect(store.getRun('abcdef01')).toMatchObject({ name: 'old', note: '', starred: false, command: null, overrides: [] });
    } finally {
      store.close();
    }
  });
});

describe('param ranges (a brush) in the run list', () => {
  it('keeps runs whose numeric param lies in [min, max], or whose value is one of a list; all ranges must hold', () => {
    const store = tempStore();
    const ids: Record<string, string> = {};
    for (const [model, lr] of [['vgg11', 0.1], ['vgg11', 0.01], ['vgg16', 0.001], ['vgg19', 0.0001]] as const) {
      ids[`${model}-${lr}`] = store.createRun({ specHash: `${model}${lr}`, experiment: 'e', resolvedSpec: spec(model, 'sgd', lr) }).id;
    }
    const names = (query: Parameters<typeof store.listRuns>[0]) =>
      store
        .listRuns({ ...query, sortBy: 'param:optimizer.lr', order: 'asc' })
        .runs.map((r) => `${r.params['model.name']}-${r.params['optimizer.lr']}`);
    expect(names({ paramRanges: [{ key: 'optimizer.lr', min: 0.001, max: 0.01 }] })).toEqual(['vgg16-0.001', 'vgg11-0.01']);
    expect(names({ paramRanges: [{ key: 'optimizer.lr', min: 0.005 }] })).toEqual(['vgg11-0.01', 'vgg11-0.1']);
    expect(names({ paramRanges: [{ key: 'model.name', values: ['vgg11', 'vgg19'] }] })).toEqual(['vgg19-0.0001', 'vgg11-0.01', 'vgg11-0.1']);
    expect(
      names({ paramRanges: [{ key: 'model.name', values: ['vgg11', 'vgg19'] }, { key: 'optimizer.lr', max: 0.05 }] }),
    ).toEqual(['vgg19-0.0001', 'vgg11-0.01']);
    expect(names({ paramRanges: [{ key: 'model.name', values: [] }] })).toEqual([]);
    expect(names({ paramRanges: [{ key: 'no.such.param', min: 0 }] })).toEqual([]);
    expect(() => store.listRuns({ paramRanges: [{ key: 'optimizer.lr' }] })).toThrow(/paramRanges\[0\] needs min, max or values/);
    expect(() => store.listRuns({ paramRanges: [{ key: 'optimizer.lr', min: 'a' as unknown as number }] })).toThrow(
      /paramRanges\[0\]\.min must be a number, received "a"/,
    );
  });
});
