import type Database from 'better-sqlite3';
import { StoreError } from '../errors.ts';
import { PARAM_KEYS } from '../param-keys.ts';
import { buildAllSeriesBlocks } from './series-blocks.ts';

/**
 * The schema, as an ordered list of migrations: MIGRATIONS[i] takes a file from version i to i + 1
 * (PRAGMA user_version). Never edit a released migration; append a new one.
 *
 * Layout choices, and why:
 * - runs keep their public 32-hex id, but other tables point at the integer `pk` (smaller rows, faster joins).
 * - `series` is one row per (run, metric key) and doubles as the latest/best table: logBatch updates it in
 *   the same transaction as the points.
 * - `metrics` is clustered on (series_id, step) (WITHOUT ROWID): one run's curve is one contiguous range, and
 *   a point is unique per step, which makes re-logging a step (resume) replace rather than duplicate.
 * - `metrics.seq` comes from a counter in `counters`, assigned inside the write transaction, so it grows in
 *   commit order and is never reused after deletes: a safe cursor for live streams.
 * - a NaN value is stored as NULL (SQLite turns NaN into NULL anyway); value is otherwise never NULL.
 *   ±Infinity are stored as IEEE REALs as they are.
 * - `series_blocks` is a packed, read-only copy of each series (series-blocks.ts), rewritten by logBatch in the same
 *   transaction as the rows: charts read a series as a few blobs instead of one JavaScript call per row.
 * - `runs.process_start` tells the run's process from a later one that got the same pid (runs/liveness.ts).
 * - `runs.note` and `runs.starred` are written by users (editRun), never by a training run; `runs.command` and
 *   `runs.overrides` (JSON arrays of strings) say how the run was started.
 * - the file's application id (PRAGMA application_id, in the SQLite header) says "vgglab run store", so another
 *   application's database is told apart without guessing from its tables (open/inspect.ts).
 * - `runs.attempt` counts the (re)starts of a run: a write that names an older attempt is refused (runs/fence.ts),
 *   so a worker that lost its job to another cannot write over the new attempt's rows.
 * - `crashed` is a stored status too (version 7): the tracking server records a remote run whose heartbeat stopped
 *   and that no live job holds; a local run whose process is gone still reads as crashed without being written.
 * - `artifacts.sha256` / `artifacts.bytes` describe a file uploaded through the tracking server, checked on download.
 */

/** PRAGMA application_id of a run store: "VGGL" in ASCII. */
export const STORE_APPLICATION_ID = 0x5647474c;
/** Every table of a run store at SCHEMA_VERSION; a file with any other table is not a run store. */
export const STORE_TABLES: readonly string[] = [
  'artifacts',
  'counters',
  'evaluations',
  'experiments',
  'metrics',
  'params',
  'runs',
  'series',
  'series_blocks',
  'tags',
];

/** What the free-text filter searches, for the row of `runs` being updated: run name, id, experiment, model,
 * optimizer and tag values, lowercased. Refreshed by createRun and whenever tags change. */
export const SEARCH_TEXT_EXPR = `lower(
  runs.name || ' ' || runs.id || ' ' || (SELECT e.name FROM experiments e WHERE e.id = runs.experiment_id)
  || ' ' || coalesce((SELECT group_concat(p.value, ' ') FROM params p WHERE p.run_pk = runs.pk AND p.key IN ('${PARAM_KEYS.modelName}', '${PARAM_KEYS.optimizerName}')), '')
  || ' ' || coalesce((SELECT group_concat(t.value, ' ') FROM tags t WHERE t.run_pk = runs.pk), ''))`;

/** A migration is SQL, or a function for steps SQL cannot do (packing blobs). Both run inside one transaction. */
type Migration = string | ((db: Database.Database) => void);

const MIGRATIONS: readonly Migration[] = [
  // 0 -> 1
  `
  CREATE TABLE experiments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE runs (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    experiment_id INTEGER NOT NULL REFERENCES experiments(id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'killed')),
    start_time INTEGER NOT NULL,
    end_time INTEGER,
    heartbeat_at INTEGER NOT NULL,
    spec_text TEXT,
    resolved_spec TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    seed INTEGER,
    git_commit TEXT,
    package_versions TEXT NOT NULL DEFAULT '{}',
    backend TEXT,
    host TEXT NOT NULL,
    pid INTEGER,
    sweep_values TEXT
  );
  CREATE INDEX runs_start_time ON runs(start_time);
  CREATE INDEX runs_experiment_start_time ON runs(experiment_id, start_time);
  CREATE INDEX runs_status ON runs(status);
  CREATE INDEX runs_spec_hash ON runs(experiment_id, spec_hash);

  CREATE TABLE params (
    run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    num_value REAL,
    PRIMARY KEY (run_pk, key)
  ) WITHOUT ROWID;
  CREATE INDEX params_key_value ON params(key, value);

  CREATE TABLE tags (
    run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_pk, key)
  ) WITHOUT ROWID;
  CREATE INDEX tags_key_value ON tags(key, value);

  CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value REAL,
    step INTEGER NOT NULL,
    epoch REAL,
    timestamp INTEGER NOT NULL,
    min REAL,
    min_step INTEGER,
    max REAL,
    max_step INTEGER,
    count INTEGER NOT NULL,
    UNIQUE (run_pk, key)
  );
  CREATE INDEX series_key ON series(key);

  CREATE TABLE metrics (
    series_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    epoch REAL,
    value REAL,
    timestamp INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (series_id, step)
  ) WITHOUT ROWID;
  CREATE INDEX metrics_seq ON metrics(seq);

  CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO counters(name, value) VALUES ('metric_seq', 0);

  CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    step INTEGER,
    epoch REAL,
    metadata TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (run_pk, kind, path)
  );

  CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    run_pk INTEGER NOT NULL REFERENCES runs(pk) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    dataset TEXT NOT NULL,
    checkpoint TEXT,
    step INTEGER,
    epoch REAL,
    accuracy REAL NOT NULL,
    class_names TEXT NOT NULL,
    per_class TEXT NOT NULL,
    confusion_matrix TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX evaluations_run ON evaluations(run_pk, created_at);
  `,
  // 1 -> 2: a lowercase search column, so the run list's free-text filter reads one column per run instead of
  // joining params and tags for each of them.
  `
  ALTER TABLE runs ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
  UPDATE runs SET search_text = ${SEARCH_TEXT_EXPR};
  `,
  // 2 -> 3: indexes that let "sort by latest/min/max of a metric" walk the series in order instead of looking up
  // the metric of every run (10,000 lookups for one page); they replace series_key, their common prefix.
  `
  DROP INDEX series_key;
  CREATE INDEX series_key_value ON series(key, value, run_pk);
  CREATE INDEX series_key_min ON series(key, min, run_pk);
  CREATE INDEX series_key_max ON series(key, max, run_pk);
  `,
  // 3 -> 4: packed series blocks (series-blocks.ts), built here for every existing series from its rows. A rowid
  // table, not WITHOUT ROWID: its 16 KiB rows would sit in the primary key's b-tree, and a lookup measured ~5x
  // slower (233 vs 44 us per 2-block series).
  (db) => {
    db.exec(`
      CREATE TABLE series_blocks (
        series_id INTEGER NOT NULL,
        first_step INTEGER NOT NULL,
        count INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (series_id, first_step)
      );
    `);
    buildAllSeriesBlocks(db);
  },
  // 4 -> 5: the process's start (to tell a crashed run whose pid was reused), and the application id.
  `
  ALTER TABLE runs ADD COLUMN process_start TEXT;
  PRAGMA application_id = ${STORE_APPLICATION_ID};
  `,
  // 5 -> 6: what a user writes about a run (a note, a star), and the command line and -o overrides that started it.
  `
  ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT '';
  ALTER TABLE runs ADD COLUMN starred INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE runs ADD COLUMN command TEXT;
  ALTER TABLE runs ADD COLUMN overrides TEXT;
  `,
  // 6 -> 7: attempts (fencing writes of a run taken over by another worker), a stored `crashed` status, and the
  // checksum and size of uploaded artifact files.
  (db) => {
    db.exec(`
      ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE artifacts ADD COLUMN sha256 TEXT;
      ALTER TABLE artifacts ADD COLUMN bytes INTEGER;
    `);
    allowStatus(db, 'runs', "'killed'", "'killed', 'crashed'");
  },
];

/**
 * Loosens a CHECK constraint of `table` by editing its stored CREATE statement, in the caller's transaction. SQLite
 * cannot ALTER a constraint, and rebuilding `runs` would cascade-delete every row that references it; SQLite's
 * documented way for a change that leaves the rows on disk valid (ALTER TABLE, "other kinds of table schema
 * changes") is to rewrite the schema text and bump schema_version. better-sqlite3 allows writable_schema only in
 * unsafe mode, switched on for this statement alone.
 */
function allowStatus(db: Database.Database, table: string, from: string, to: string): void {
  const { sql } = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string };
  const check = /CHECK \(status IN \(([^)]*)\)\)/.exec(sql);
  if (!check || !check[1]!.includes(from)) throw new StoreError('SCHEMA', `cannot migrate: unexpected ${table} definition`);
  const version = db.pragma('schema_version', { simple: true }) as number;
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?").run(sql.replace(check[0], check[0].replace(from, to)), table);
    // A new schema_version makes every connection (this one too) read the schema again.
    db.pragma(`schema_version = ${version + 1}`);
    db.pragma('writable_schema = OFF');
  } finally {
    db.unsafeMode(false);
  }
}

/** Current schema version (PRAGMA user_version) this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function readSchemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the file to SCHEMA_VERSION. Safe when several processes open a new file at once: the version is
 * re-read inside BEGIN IMMEDIATE (which takes the write lock, waiting out the busy timeout), so exactly one
 * process migrates and the others find the work done. Returns the version found before migrating.
 */
export function migrate(db: Database.Database, file: string, target = SCHEMA_VERSION): number {
  const before = readSchemaVersion(db);
  checkNotNewer(before, file);
  if (before >= target) return before;
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = readSchemaVersion(db);
    checkNotNewer(current, file);
    for (let v = current; v < target; v++) {
      const migration = MIGRATIONS[v]!;
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
    }
    // PRAGMA cannot take a bound parameter; the value is our own integer.
    if (current < target) db.exec(`PRAGMA user_version = ${target}`);
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
  return before;
}

export function checkNotNewer(version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'SCHEMA',
      `${file}: run store schema version ${version} is newer than this vgglab understands (${SCHEMA_VERSION}); upgrade vgglab to open it`,
    );
  }
}
