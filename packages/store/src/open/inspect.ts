/**
 * What is at a store path, found out before anything is written to it: nothing, an empty database, a run store, or
 * something else, which is refused with its name and left byte for byte as it was (no WAL switch, no tables, no
 * -wal/-shm files left behind).
 */
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../errors.ts';
import { STORE_APPLICATION_ID, STORE_TABLES } from '../storage/schema.ts';
import { invalid } from '../validate.ts';
import { accessError } from './access.ts';
import { retryWhileBusy } from './retry.ts';

export interface StoreFile {
  kind: 'missing' | 'empty' | 'store';
  /** The schema version (PRAGMA user_version) when it could be read for certain without opening the file for
   * good: the header's when no -wal file may hold a newer one. */
  version?: number;
}

const HEADER_BYTES = 100;
const MAGIC = 'SQLite format 3\0';

export function notSqlite(file: string): StoreError {
  return invalid(`${file} is not a vgglab run store (not an SQLite database)`);
}

function foreign(file: string, what: string): StoreError {
  return invalid(
    `${file} is not a vgglab run store: it is an SQLite database of another application (${what}); it was left as it ` +
      'was. Name another file (--db, VGGLAB_DB)',
  );
}

export function inspectStoreFile(file: string, busyTimeoutMs: number): StoreFile {
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw accessError(err, file, `cannot look up the run store ${file} in its folder`) ?? err;
  }
  if (stat.isDirectory()) throw invalid(`${file} is a directory; the run store is a file (e.g. ${resolve(file, 'vgglab.db')})`);
  if (stat.size === 0) return { kind: 'empty', version: 0 };
  // In WAL mode the header in the file lags the last commits until a checkpoint; without a -wal file (looked for
  // before the header is read) it does not.
  const walBefore = existsSync(`${file}-wal`);
  const header = readHeader(file);
  if (header.length < HEADER_BYTES || header.toString('latin1', 0, MAGIC.length) !== MAGIC) throw notSqlite(file);
  const applicationId = header.readInt32BE(68);
  const headerVersion = walBefore ? undefined : header.readInt32BE(60);
  if (applicationId === STORE_APPLICATION_ID) return { kind: 'store', version: headerVersion };
  if (applicationId !== 0) throw foreign(file, `application id 0x${(applicationId >>> 0).toString(16)}`);
  // No application id: an empty database, a store written before schema 5, or another application's file.
  const { tables, version } = retryWhileBusy(busyTimeoutMs, () => readSchema(file, header, busyTimeoutMs));
  if (tables.length === 0) return { kind: 'empty', version };
  if (tables.includes('runs') && tables.every((t) => STORE_TABLES.includes(t))) return { kind: 'store', version };
  const shown = tables.length > 6 ? `${tables.slice(0, 6).join(', ')}, … (${tables.length} tables)` : tables.join(', ');
  throw foreign(file, `tables ${shown}`);
}

function readHeader(file: string): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const read = readSync(fd, header, 0, HEADER_BYTES, 0);
    return header.subarray(0, read);
  } catch (err) {
    throw accessError(err, file, `cannot read the run store ${file}`) ?? err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The file's tables and schema version, read without changing it. A read-only connection to a WAL database creates `-wal` and `-shm`
 * files and leaves them; a read-write one that only reads removes them when it closes; neither writes the
 * database itself. So: read-write for a WAL file without a `-wal` (and writable), read-only otherwise. When a
 * `-wal` is already there it may hold another application's unfinished work, which a read-only connection never
 * copies into the file.
 */
function readSchema(file: string, header: Buffer, busyTimeoutMs: number): { tables: string[]; version: number } {
  const walMode = header[18] === 2;
  const readonly = !walMode || existsSync(`${file}-wal`) || !writable(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly, fileMustExist: true, timeout: busyTimeoutMs });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
    return { tables, version: db.pragma('user_version', { simple: true }) as number };
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw notSqlite(file);
    if (((err as { code?: string }).code ?? '').startsWith('SQLITE_BUSY')) throw err;
    throw accessError(err, file, `cannot read the run store ${file}`) ?? err;
  } finally {
    db?.close();
  }
}

/** The file and its folder (where the -wal/-shm files go) can be written. */
function writable(file: string): boolean {
  try {
    accessSync(file, constants.W_OK);
    accessSync(dirname(file), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
