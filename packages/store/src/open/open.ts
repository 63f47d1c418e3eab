/**
 * Opening the store file: what is there is checked first (inspect.ts); a writer then creates folders, switches to
 * WAL and migrates; a reader only opens, and never creates or migrates anything.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_STALE_HEARTBEAT_MS } from '../defaults.ts';
import { StoreError } from '../errors.ts';
import { registerShownStatus } from '../runs/liveness.ts';
import { checkpointInBackground } from '../storage/checkpointer.ts';
import { Connection } from '../storage/connection.ts';
import { SCHEMA_VERSION, checkNotNewer, migrate, readSchemaVersion } from '../storage/schema.ts';
import type { OpenStoreOptions } from '../types.ts';
import { checkSafeInteger, invalid, show } from '../validate.ts';
import { accessError, checkReadable, checkWritable } from './access.ts';
import { type StoreFile, inspectStoreFile, notSqlite } from './inspect.ts';
import { retryWhileBusy } from './retry.ts';

export function openConnection(file: string, options: OpenStoreOptions = {}): Connection {
  if (typeof file !== 'string' || file.length === 0) throw invalid(`openStore: file must be a non-empty path, received ${show(file)}`);
  const absolute = resolve(file);
  const readonly = options.readonly ?? false;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  checkSafeInteger(busyTimeoutMs, 'openStore: busyTimeoutMs');
  const staleHeartbeatMs = options.staleHeartbeatMs ?? DEFAULT_STALE_HEARTBEAT_MS;
  checkSafeInteger(staleHeartbeatMs, 'openStore: staleHeartbeatMs');

  const found = inspectStoreFile(absolute, busyTimeoutMs);
  let db: Database.Database | undefined;
  try {
    db = readonly ? openReader(absolute, found, busyTimeoutMs) : openWriter(absolute, found, busyTimeoutMs);
    registerShownStatus(db, { host: hostname(), staleHeartbeatMs });
    const connection = new Connection(db, absolute, readonly);
    if (!readonly && options.checkpointEveryMs !== undefined) {
      checkSafeInteger(options.checkpointEveryMs, 'openStore: checkpointEveryMs');
      const checkpointer = checkpointInBackground(db, absolute, { everyMs: options.checkpointEveryMs, busyTimeoutMs });
      connection.onClose = () => void checkpointer.stop();
    }
    return connection;
  } catch (err) {
    db?.close();
    if (err instanceof StoreError) throw err;
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw notSqlite(absolute);
    throw (
      accessError(err, absolute, `cannot open the run store ${absolute}`) ??
      new StoreError('SCHEMA', `cannot open run store ${absolute}: ${(err as Error).message}`)
    );
  }
}

/** The file must exist, be a store, and be at the current schema: a reader never migrates. */
function openReader(file: string, found: StoreFile, busyTimeoutMs: number): Database.Database {
  if (found.kind === 'missing') throw new StoreError('NOT_FOUND', `no run store at ${file}: run an experiment first, or pass --db / VGGLAB_DB`);
  checkReadable(file);
  // Known before opening: refused without the -wal/-shm files a read-only connection would leave behind.
  if (found.version !== undefined) checkReadableVersion(found.version, file);
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  try {
    checkReadableVersion(readSchemaVersion(db), file);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function checkReadableVersion(version: number, file: string): void {
  checkNotNewer(version, file);
  if (version < SCHEMA_VERSION) {
    throw new StoreError(
      'SCHEMA',
      `${file}: run store schema version ${version} is older than ${SCHEMA_VERSION}; open it once for writing ` +
        '(any vgglab command that logs, e.g. `vgglab runs gc`) to migrate it',
    );
  }
}

/** Creates the file and its folders if needed, then WAL mode and the schema, migrated under BEGIN IMMEDIATE so two
 * processes opening a new file at once both succeed. */
function openWriter(file: string, found: StoreFile, busyTimeoutMs: number): Database.Database {
  checkWritable(file, found.kind !== 'missing');
  const db = new Database(file, { timeout: busyTimeoutMs });
  try {
    // journal_mode is persistent in the file; setting it needs a lock. SQLite answers SQLITE_BUSY at once, without
    // waiting out the busy timeout, when another process is creating the same new file (it would risk a
    // deadlock), so both steps (each safe to repeat) are retried here until the timeout.
    retryWhileBusy(busyTimeoutMs, () => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, file);
    });
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
