import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { STORE_APPLICATION_ID, STORE_TABLES, migrate } from '../storage/schema.ts';
import { openRunReader, openStore } from '../store.ts';
import { spec, tempDir } from '../testing/temp.ts';

const WORKER = fileURLToPath(new URL('../testing/worker.ts', import.meta.url));

/** Everything a refused open must leave as it was: the file's bytes and the folder's listing (no -wal, no -shm). */
function snapshot(file: string): { sha256: string; files: string[] } {
  return { sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), files: readdirSync(dirname(file)).sort() };
}

/** Another application's SQLite file with one table and a row, in WAL or rollback-journal mode. */
function otherAppDb(file: string, options: { wal?: boolean; applicationId?: number } = {}): void {
  const db = new Database(file);
  if (options.wal) db.pragma('journal_mode = WAL');
  if (options.applicationId) db.pragma(`application_id = ${options.applicationId}`);
  db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users(name) VALUES ('ada')");
  db.close();
}

const OPENS = {
  'openStore (writer)': (file: string) => openStore(file),
  'openStore readonly': (file: string) => openStore(file, { readonly: true }),
  openRunReader: (file: string) => openRunReader(file),
};

describe('opening: what is at the path', () => {
  for (const wal of [false, true]) {
    for (const [how, open] of Object.entries(OPENS)) {
      it(`${how} refuses another application's database (${wal ? 'WAL' : 'rollback journal'}), naming it, and leaves it byte for byte`, () => {
        const file = join(tempDir(), 'other-app.db');
        otherAppDb(file, { wal });
        const before = snapshot(file);
        expect(() => open(file)).toThrow(/other-app\.db is not a vgglab run store: .*another application \(tables users\)/);
        expect(() => open(file)).toThrow(expect.objectContaining({ code: 'INVALID' }));
        expect(snapshot(file)).toEqual(before);
        const db = new Database(file, { readonly: true });
        expect(db.pragma('journal_mode', { simple: true })).toBe(wal ? 'wal' : 'delete');
        expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()).toEqual(['users']);
        db.close();
      });
    }
  }

  it('refuses a database with another application id from its header alone', () => {
    const file = join(tempDir(), 'tagged.db');
    otherAppDb(file, { applicationId: 0x1234 });
    const before = snapshot(file);
    expect(() => openStore(file)).toThrow(/tagged\.db is not a vgglab run store: .*application id 0x1234/);
    expect(snapshot(file)).toEqual(before);
  });

  it('refuses another application database that is open, mid-write, in WAL mode, without touching its file', () => {
    const file = join(tempDir(), 'busy-app.db');
    otherAppDb(file, { wal: true });
    const app = new Database(file);
    app.pragma('wal_autocheckpoint = 0'); // its writes stay in -wal
    app.exec("INSERT INTO users(name) VALUES ('grace')");
    const before = readFileSync(file);
    expect(() => openStore(file)).toThrow(/busy-app\.db is not a vgglab run store/);
    expect(() => openRunReader(file)).toThrow(/busy-app\.db is not a vgglab run store/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(app.prepare('SELECT count(*) FROM users').pluck().get()).toBe(2);
    app.close();
  });

  it('a reader of a missing file is a clear error naming it, and creates nothing (not even the folder)', () => {
    const dir = tempDir();
    const file = join(dir, 'runs', 'vgglab.db');
    for (const open of [OPENS.openRunReader, OPENS['openStore readonly']]) {
      expect(() => open(file)).toThrow(/no run store at .*runs[/\\]vgglab\.db/);
      expect(() => open(file)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a reader never migrates: an older store is refused and left byte for byte, without -wal/-shm', () => {
    const file = join(tempDir(), 'v4.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    migrate(db, file, 4);
    db.close();
    const before = snapshot(file);
    expect(() => openRunReader(file)).toThrow(/schema version 4 is older than .*open it once for writing/);
    expect(snapshot(file)).toEqual(before);
    // a writer migrates it, and marks it as a store in its header
    openStore(file).close();
    expect(readFileSync(file).readInt32BE(68)).toBe(STORE_APPLICATION_ID);
  });

  it('a new store carries the application id and exactly the tables STORE_TABLES lists', () => {
    const file = join(tempDir(), 'vgglab.db');
    const store = openStore(file);
    store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: spec() });
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('application_id', { simple: true })).toBe(STORE_APPLICATION_ID);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name").pluck().all();
    expect(tables).toEqual([...STORE_TABLES].sort());
    db.close();
    expect(openRunReader(file).listRuns().total).toBe(1);
  });

  it('an empty SQLite database is adopted by a writer (it has no tables)', () => {
    const file = join(tempDir(), 'empty.db');
    const db = new Database(file);
    db.exec('CREATE TABLE t (a); DROP TABLE t;'); // a real header, no table left
    db.close();
    const store = openStore(file);
    expect(store.listRuns().total).toBe(0);
    store.close();
  });
});

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** Opens `file` in a child process (as `nobody` when the tests run as root, where permissions do not bind). */
function tryOpenElsewhere(file: string, as: 'reader' | 'writer'): { ok?: true; code?: string; message?: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', WORKER, 'try-open', file, as], {
    encoding: 'utf8',
    ...(isRoot ? { uid: NOBODY, gid: NOBODY, env: { ...process.env, HOME: '/tmp' } } : {}),
  });
  if (result.status !== 0) throw new Error(`try-open failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { ok?: true; code?: string; message?: string };
}

describe.skipIf(process.platform === 'win32')('opening: permissions', () => {
  /** A folder the child may enter, holding a store. */
  function storeIn(dirMode: number): { dir: string; file: string } {
    const base = tempDir();
    chmodSync(base, 0o755);
    const dir = join(base, 'runs');
    mkdirSync(dir);
    const file = join(dir, 'vgglab.db');
    openStore(file).close();
    chmodSync(file, 0o644);
    chmodSync(dir, dirMode);
    return { dir, file };
  }

  it('an unreadable folder: reader and writer say permission and name the file', () => {
    const { dir, file } = storeIn(0o000);
    try {
      for (const as of ['reader', 'writer'] as const) {
        const result = tryOpenElsewhere(file, as);
        expect(result.code, as).toBe('PERMISSION');
        expect(result.message, as).toMatch(/permission denied/);
        expect(result.message, as).toContain(file);
      }
    } finally {
      chmodSync(dir, 0o755);
    }
  }, 30_000);

  it('a read-only store file: a writer says permission and names it; a reader still reads it', () => {
    const { dir, file } = storeIn(0o777);
    chmodSync(file, 0o444);
    const before = snapshot(file);
    const writer = tryOpenElsewhere(file, 'writer');
    expect(writer.code).toBe('PERMISSION');
    expect(writer.message).toMatch(/permission denied.*read-only/);
    expect(writer.message).toContain(file);
    expect(tryOpenElsewhere(file, 'reader')).toEqual({ ok: true });
    chmodSync(dir, 0o755);
    expect(snapshot(file).sha256).toBe(before.sha256);
  }, 30_000);

  it('a folder that cannot be written: a new store is refused with permission and the file named', () => {
    const base = tempDir();
    chmodSync(base, 0o755); // not writable by the child
    const file = join(base, 'vgglab.db');
    if (!isRoot) chmodSync(base, 0o555);
    try {
      const result = tryOpenElsewhere(file, 'writer');
      expect(result.code).toBe('PERMISSION');
      expect(result.message).toMatch(/permission denied.*cannot write in/);
      expect(result.message).toContain(file);
    } finally {
      chmodSync(base, 0o755);
    }
  }, 30_000);

  it('a file where a folder is expected is named, not reported as missing', () => {
    const base = tempDir();
    writeFileSync(join(base, 'runs'), 'a file, not a folder');
    const file = join(base, 'runs', 'vgglab.db');
    expect(() => openRunReader(file)).toThrow(/a folder on the path .*runs[/\\]vgglab\.db is a file/);
    expect(() => openStore(file)).toThrow(/a folder on the path .*runs[/\\]vgglab\.db is a file/);
  });
});
