import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../errors.ts';
import { SCHEMA_VERSION, migrate } from './schema.ts';
import { openStore } from '../store.ts';
import { spec, tempDir } from '../testing/temp.ts';

describe('schema', () => {
  it('creates the file, its parent folders and every table, in WAL mode at the current version', () => {
    const file = join(tempDir(), 'deep', 'er', 'vgglab.db');
    const store = openStore(file);
    expect(existsSync(file)).toBe(true);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]);
    expect(tables).toEqual(expect.arrayContaining(['artifacts', 'counters', 'evaluations', 'experiments', 'metrics', 'params', 'runs', 'series', 'tags']));
    db.close();
  });

  it('opening again is idempotent: no migration runs twice and data is kept', () => {
    const file = join(tempDir(), 'vgglab.db');
    const first = openStore(file);
    const run = first.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: spec() });
    first.logMetric(run.id, { key: 'loss', value: 1, step: 1 });
    first.close();
    for (let i = 0; i < 3; i++) {
      const again = openStore(file);
      expect(again.schemaVersion).toBe(SCHEMA_VERSION);
      expect(again.getMetricHistory(run.id, 'loss')).toHaveLength(1);
      again.close();
    }
  });

  it('refuses a file written by a newer schema, saying so', () => {
    const file = join(tempDir(), 'vgglab.db');
    openStore(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openStore(file)).toThrow(/newer than this vgglab understands/);
    expect(() => openStore(file, { readonly: true })).toThrow(/newer/);
  });

  it('migrates an older file (version 0, empty) when opened for writing; readonly asks for that first', () => {
    const file = join(tempDir(), 'old.db');
    new Database(file).close(); // an empty SQLite file: user_version 0
    expect(() => openStore(file, { readonly: true })).toThrow(/older than .*open it once for writing/);
    const store = openStore(file);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    store.close();
  });

  it('migrates a version-1 file with runs to the current version, backfilling the search column', () => {
    const file = join(tempDir(), 'v1.db');
    const db = new Database(file);
    migrate(db, file, 1);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.exec(`INSERT INTO experiments(id, name, created_at) VALUES (1, 'Flowers', 0);
      INSERT INTO runs(pk, id, experiment_id, name, status, start_time, heartbeat_at, resolved_spec, spec_hash, host)
        VALUES (1, 'abcdef01', 1, 'Old-Run', 'finished', 0, 0, '{}', 'h', 'host');
      INSERT INTO params(run_pk, key, value) VALUES (1, 'model.name', 'VGG13');
      INSERT INTO tags(run_pk, key, value) VALUES (1, 'note', 'Legacy');`);
    db.close();
    const store = openStore(file);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    for (const text of ['old-run', 'flowers', 'vgg13', 'legacy', 'ABCDEF']) {
      expect(store.listRuns({ text }).runs.map((r) => r.id), text).toEqual(['abcdef01']);
    }
    store.close();
  });

  it('readonly: a missing file is a clear NOT_FOUND error, and writes are refused', () => {
    const dir = tempDir();
    const missing = join(dir, 'nope.db');
    expect(() => openStore(missing, { readonly: true })).toThrow(/no run store at .*nope\.db/);
    expect(existsSync(missing)).toBe(false);
    const file = join(dir, 'vgglab.db');
    const writer = openStore(file);
    const run = writer.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: spec() });
    writer.close(); // a clean close removes the -wal/-shm files; readonly must still open it
    const reader = openStore(file, { readonly: true });
    expect(reader.getRun(run.id)?.id).toBe(run.id);
    expect(() => reader.logMetric(run.id, { key: 'x', value: 1, step: 0 })).toThrow(expect.objectContaining({ code: 'READONLY' }));
    reader.close();
  });

  it('a readonly reader sees what a writer commits while both are open', () => {
    const file = join(tempDir(), 'vgglab.db');
    const writer = openStore(file);
    const reader = openStore(file, { readonly: true });
    const run = writer.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: spec() });
    writer.logMetric(run.id, { key: 'loss', value: 0.5, step: 1 });
    expect(reader.getRun(run.id)?.metrics.loss?.value).toBe(0.5);
    reader.close();
    writer.close();
  });

  it('a file that is not SQLite, or a folder, gets an error naming it', () => {
    const dir = tempDir();
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not a database, just text that is long enough to have a header'.repeat(20));
    expect(() => openStore(junk)).toThrow(/junk\.db is not a vgglab run store/);
    expect(() => openStore(dir)).toThrow(StoreError);
    expect(() => openStore(dir)).toThrow(/is a directory/);
  });
});
