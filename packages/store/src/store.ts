import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DEFAULT_BUSY_TIMEOUT_MS, MAX_FACET_VALUES, MIN_RUN_ID_PREFIX, MODEL_NAME_PARAM, OPTIMIZER_NAME_PARAM } from './defaults.ts';
import { StoreError } from './errors.ts';
import { canonicalJson, flattenParams } from './flatten.ts';
import { listRuns } from './run-list.ts';
import {
  type ArtifactRow,
  type EvaluationRow,
  type RunRow,
  type SeriesRow,
  RUN_COLUMNS,
  durationOf,
  fromDb,
  toArtifact,
  toDb,
  toEvaluation,
  toLatest,
  toRun,
} from './rows.ts';
import { SCHEMA_VERSION, SEARCH_TEXT_EXPR, checkNotNewer, migrate, readSchemaVersion } from './schema.ts';
import { PreparedStatements } from './prepared.ts';
import { SeriesBlocks } from './series-blocks.ts';
import { getMetricColumns, getMetricSeries, getMetricsAfter, getPackedMetricColumns, iterateMetrics } from './series.ts';
import type {
  Artifact,
  Evaluation,
  Experiment,
  FacetValue,
  GcOptions,
  GcResult,
  KeyValue,
  LatestMetric,
  LogBatchInput,
  MetricColumns,
  MetricExportQuery,
  PackedMetricColumns,
  MetricHistoryOptions,
  MetricInput,
  MetricPoint,
  MetricSeries,
  MetricSeriesQuery,
  MetricsAfterQuery,
  MetricsAfterResult,
  NewArtifact,
  NewEvaluation,
  NewRun,
  OpenStoreOptions,
  ResumeOptions,
  Run,
  RunDetails,
  RunFacets,
  RunListQuery,
  RunPage,
  RunStatus,
  RunStore,
} from './types.ts';
import {
  checkBatch,
  checkKey,
  checkOptionalFinite,
  checkSafeInteger,
  checkStatus,
  invalid,
  numericValue,
  show,
} from './validate.ts';

const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Rows per multi-row INSERT of metric points (6 bound values each, far below SQLite's 32766). */
const METRIC_INSERT_CHUNK = 100;

/**
 * Opens (creating the file and its parent folders unless readonly) the run store at `file`: WAL mode, busy
 * timeout, schema migrated under BEGIN IMMEDIATE so two processes opening a new file at once both succeed.
 */
export function openStore(file: string, options: OpenStoreOptions = {}): RunStore {
  if (typeof file !== 'string' || file.length === 0) throw invalid(`openStore: file must be a non-empty path, received ${show(file)}`);
  const absolute = resolve(file);
  const readonly = options.readonly ?? false;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  checkSafeInteger(busyTimeoutMs, 'openStore: busyTimeoutMs');
  if (existsSync(absolute) && statSync(absolute).isDirectory()) {
    throw invalid(`${absolute} is a directory; the run store is a file (e.g. ${resolve(absolute, 'vgglab.db')})`);
  }
  if (readonly && !existsSync(absolute)) {
    throw new StoreError('NOT_FOUND', `no run store at ${absolute}: run an experiment first, or pass --db / VGGLAB_DB`);
  }
  if (!readonly) mkdirSync(dirname(absolute), { recursive: true });

  let db: Database.Database | undefined;
  try {
    db = new Database(absolute, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    if (readonly) {
      const version = readSchemaVersion(db);
      checkNotNewer(version, absolute);
      if (version < SCHEMA_VERSION) {
        throw new StoreError(
          'SCHEMA',
          `${absolute}: run store schema version ${version} is older than ${SCHEMA_VERSION}; open it once for writing ` +
            '(any vgglab command that logs, e.g. `vgglab runs gc`) to migrate it',
        );
      }
    } else {
      const opened = db;
      // journal_mode is persistent in the file; setting it needs a lock. SQLite answers SQLITE_BUSY at once, without
      // waiting out the busy timeout, when another process is creating the same new file (it would risk a
      // deadlock), so both steps (each safe to repeat) are retried here until the timeout.
      retryWhileBusy(busyTimeoutMs, () => {
        opened.pragma('journal_mode = WAL');
        opened.pragma('synchronous = NORMAL');
        opened.pragma('foreign_keys = ON');
        migrate(opened, absolute);
      });
    }
    return new SqliteRunStore(db, absolute, readonly);
  } catch (err) {
    db?.close();
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') throw invalid(`${absolute} is not a vgglab run store (not an SQLite database)`);
    throw new StoreError('SCHEMA', `cannot open run store ${absolute}: ${(err as Error).message}`);
  }
}

/** Runs `fn` again while it fails with SQLITE_BUSY, sleeping 5-50 ms between tries, for at most `timeoutMs`. */
function retryWhileBusy(timeoutMs: number, fn: () => void): void {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      fn();
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw err;
      // A synchronous sleep: openStore is synchronous, like the rest of better-sqlite3.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(50, 5 * (attempt + 1)));
    }
  }
}

type SeqPoint = MetricInput & { timestamp: number; seq: number };

interface BatchStats {
  latest: MetricInput & { timestamp: number };
  min: number | null;
  minStep: number | null;
  max: number | null;
  maxStep: number | null;
}

class SqliteRunStore implements RunStore {
  readonly file: string;
  readonly readonly: boolean;
  readonly schemaVersion: number;
  private readonly db: Database.Database;
  private readonly statements: PreparedStatements;
  /** The packed copy of every series, kept in step with the metric rows by every write that changes them. */
  private readonly blocks: SeriesBlocks;

  constructor(db: Database.Database, file: string, readonly: boolean) {
    this.db = db;
    this.file = file;
    this.readonly = readonly;
    this.schemaVersion = readSchemaVersion(db);
    this.statements = new PreparedStatements(db);
    this.blocks = new SeriesBlocks(db);
  }

  private sql(text: string): Database.Statement {
    return this.statements.get(text);
  }

  /** Every write runs in BEGIN IMMEDIATE: taking the write lock up front means the busy timeout applies, instead
   * of a deferred transaction failing with SQLITE_BUSY when it upgrades from reading to writing. */
  private write<T>(fn: () => T): T {
    if (this.readonly) throw new StoreError('READONLY', `run store ${this.file} was opened read-only`);
    return this.db.transaction(fn).immediate();
  }

  /** Reads that must see one snapshot. */
  private read<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  private runPk(runId: string): number {
    if (typeof runId !== 'string') throw invalid(`run id must be a string, received ${show(runId)}`);
    const row = this.sql('SELECT pk FROM runs WHERE id = ?').get(runId) as { pk: number } | undefined;
    if (!row) throw new StoreError('NOT_FOUND', `no run with id ${show(runId)} in ${this.file}`);
    return row.pk;
  }

  private runRow(runId: string): RunRow | undefined {
    return this.sql(`SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?`).get(
      runId,
    ) as RunRow | undefined;
  }

  // --- experiments

  createExperiment(name: string): Experiment {
    checkKey(name, 'experiment name');
    return this.write(() => {
      this.sql('INSERT INTO experiments(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING').run(name, Date.now());
      return this.getExperiment(name)!;
    });
  }

  getExperiment(idOrName: number | string): Experiment | undefined {
    const row = (
      typeof idOrName === 'number'
        ? this.sql('SELECT id, name, created_at FROM experiments WHERE id = ?').get(idOrName)
        : this.sql('SELECT id, name, created_at FROM experiments WHERE name = ?').get(idOrName)
    ) as { id: number; name: string; created_at: number } | undefined;
    return row && { id: row.id, name: row.name, createdAt: row.created_at };
  }

  listExperiments(): Experiment[] {
    const rows = this.sql('SELECT id, name, created_at FROM experiments ORDER BY name').all() as {
      id: number;
      name: string;
      created_at: number;
    }[];
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  private experimentId(experiment: number | string, create: boolean): number | undefined {
    if (typeof experiment === 'number') {
      if (!this.getExperiment(experiment)) throw new StoreError('NOT_FOUND', `no experiment with id ${experiment}`);
      return experiment;
    }
    if (create) return this.createExperiment(experiment).id;
    return this.getExperiment(experiment)?.id;
  }

  // --- run lifecycle

  createRun(input: NewRun): Run {
    if (input === null || typeof input !== 'object') throw invalid(`createRun expects a NewRun object, received ${show(input)}`);
    if (input.resolvedSpec === undefined) throw invalid('createRun: resolvedSpec is required (the spec after defaults and overrides)');
    if (typeof input.specHash !== 'string' || input.specHash.length === 0) {
      throw invalid(
        `createRun: specHash is required, a non-empty string (core's specHash(spec), which the runner passes), received ${show(input.specHash)}`,
      );
    }
    const id = input.id ?? randomUUID().replaceAll('-', '');
    if (!RUN_ID_PATTERN.test(id)) throw invalid(`createRun: id must match ${RUN_ID_PATTERN}, received ${show(id)}`);
    const name = input.name ?? id.slice(0, 8);
    if (typeof name !== 'string' || name.length === 0) throw invalid(`createRun: name must be a non-empty string, received ${show(name)}`);
    const startTime = input.startTime ?? Date.now();
    checkSafeInteger(startTime, 'createRun: startTime');
    if (input.seed !== undefined && input.seed !== null) checkSafeInteger(input.seed, 'createRun: seed');
    if (input.pid !== undefined && input.pid !== null) checkSafeInteger(input.pid, 'createRun: pid');
    const resolvedJson = canonicalJson(input.resolvedSpec);
    const params = flattenParams(input.resolvedSpec);
    params.forEach((p) => checkKey(p.key, `createRun: param from resolvedSpec`));
    const tags = Object.entries(input.tags ?? {}).map(([key, value]) => ({ key, value }));
    tags.forEach((t, i) => {
      checkKey(t.key, `createRun: tags[${i}]`);
      if (typeof t.value !== 'string') throw invalid(`createRun: tag ${show(t.key)} must be a string, received ${show(t.value)}`);
    });
    return this.write(() => {
      const experimentId = this.experimentId(input.experiment, true)!;
      if (this.sql('SELECT 1 FROM runs WHERE id = ?').get(id)) throw new StoreError('CONFLICT', `a run with id ${show(id)} already exists`);
      const info = this.sql(
        `INSERT INTO runs(id, experiment_id, name, status, start_time, end_time, heartbeat_at, spec_text, resolved_spec,
           spec_hash, seed, git_commit, package_versions, backend, host, pid, sweep_values)
         VALUES (?, ?, ?, 'running', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        experimentId,
        name,
        startTime,
        startTime,
        input.specText ?? null,
        resolvedJson,
        input.specHash,
        input.seed ?? null,
        input.gitCommit ?? null,
        JSON.stringify(input.packageVersions ?? {}),
        input.backend ?? null,
        input.host ?? hostname(),
        input.pid === undefined ? process.pid : input.pid,
        input.sweepValues == null ? null : canonicalJson(input.sweepValues),
      );
      const pk = Number(info.lastInsertRowid);
      this.insertParams(pk, params);
      this.upsertTags(pk, tags);
      if (tags.length === 0) this.refreshSearchText(pk);
      return toRun(this.runRow(id)!);
    });
  }

  resolveRunId(idOrPrefix: string): string {
    if (typeof idOrPrefix !== 'string' || idOrPrefix.length === 0) throw invalid(`run id must be a non-empty string, received ${show(idOrPrefix)}`);
    if (this.sql('SELECT 1 FROM runs WHERE id = ?').get(idOrPrefix)) return idOrPrefix;
    if (idOrPrefix.length < MIN_RUN_ID_PREFIX) {
      throw new StoreError('NOT_FOUND', `no run with id ${show(idOrPrefix)} (a prefix needs at least ${MIN_RUN_ID_PREFIX} characters)`);
    }
    const rows = this.sql('SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2').all(
      idOrPrefix,
      `${idOrPrefix}\uffff`,
    ) as { id: string }[];
    if (rows.length === 0) throw new StoreError('NOT_FOUND', `no run with id or prefix ${show(idOrPrefix)} in ${this.file}`);
    if (rows.length > 1) throw new StoreError('AMBIGUOUS', `run id prefix ${show(idOrPrefix)} matches several runs (${rows[0]!.id}, ${rows[1]!.id}, …); give more characters`);
    return rows[0]!.id;
  }

  getRun(runId: string): RunDetails | undefined {
    return this.read(() => {
      const row = this.runRow(runId);
      if (!row) return undefined;
      return {
        ...toRun(row),
        durationMs: durationOf(row, Date.now()),
        params: this.keyValues('SELECT key, value FROM params WHERE run_pk = ? ORDER BY key', row.pk),
        tags: this.keyValues('SELECT key, value FROM tags WHERE run_pk = ? ORDER BY key', row.pk),
        metrics: this.latestMetrics(row.pk),
        artifacts: this.listArtifacts(runId),
        evaluations: this.listEvaluations(runId),
      };
    });
  }

  private keyValues(sql: string, pk: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.sql(sql).all(pk) as KeyValue[]) out[r.key] = r.value;
    return out;
  }

  private latestMetrics(pk: number): Record<string, LatestMetric> {
    const out: Record<string, LatestMetric> = {};
    for (const r of this.sql('SELECT * FROM series WHERE run_pk = ? ORDER BY key').all(pk) as SeriesRow[]) out[r.key] = toLatest(r);
    return out;
  }

  setRunStatus(runId: string, status: RunStatus, options: { endTime?: number } = {}): void {
    checkStatus(status);
    if (options.endTime !== undefined) checkSafeInteger(options.endTime, 'setRunStatus: endTime');
    const now = Date.now();
    this.write(() => {
      const pk = this.runPk(runId);
      const endTime = status === 'running' ? null : (options.endTime ?? now);
      this.sql('UPDATE runs SET status = ?, end_time = ?, heartbeat_at = ? WHERE pk = ?').run(status, endTime, now, pk);
    });
  }

  heartbeat(runId: string, pid?: number): void {
    if (pid !== undefined) checkSafeInteger(pid, 'heartbeat: pid');
    this.write(() => {
      const pk = this.runPk(runId);
      if (pid === undefined) this.sql('UPDATE runs SET heartbeat_at = ? WHERE pk = ?').run(Date.now(), pk);
      else this.sql('UPDATE runs SET heartbeat_at = ?, pid = ? WHERE pk = ?').run(Date.now(), pid, pk);
    });
  }

  resumeRun(runId: string, options: ResumeOptions): Run {
    if (options === null || typeof options !== 'object') throw invalid('resumeRun: options { fromStep } are required');
    checkSafeInteger(options.fromStep, 'resumeRun: fromStep');
    const pid = options.pid ?? process.pid;
    checkSafeInteger(pid, 'resumeRun: pid');
    const host = options.host ?? hostname();
    return this.write(() => {
      const pk = this.runPk(runId);
      this.deleteMetricsAfterPk(pk, options.fromStep);
      this.sql("UPDATE runs SET status = 'running', end_time = NULL, pid = ?, host = ?, heartbeat_at = ? WHERE pk = ?").run(
        pid,
        host,
        Date.now(),
        pk,
      );
      return toRun(this.runRow(runId)!);
    });
  }

  deleteMetricsAfter(runId: string, step: number): number {
    checkSafeInteger(step, 'deleteMetricsAfter: step');
    return this.write(() => this.deleteMetricsAfterPk(this.runPk(runId), step));
  }

  private deleteMetricsAfterPk(pk: number, step: number): number {
    const series = this.sql('SELECT id FROM series WHERE run_pk = ?').all(pk) as { id: number }[];
    let deleted = 0;
    for (const s of series) {
      const info = this.sql('DELETE FROM metrics WHERE series_id = ? AND step > ?').run(s.id, step);
      deleted += info.changes;
      if (info.changes > 0) {
        this.blocks.rebuildFrom(s.id, step + 1);
        this.recomputeSeries(s.id);
      }
    }
    return deleted;
  }

  findRunBySpecHash(experiment: number | string, specHash: string): Run | undefined {
    const experimentId = this.experimentId(experiment, false);
    if (experimentId === undefined) return undefined;
    const row = this.sql(
      `SELECT ${RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id
       WHERE r.experiment_id = ? AND r.spec_hash = ? ORDER BY r.start_time DESC, r.pk DESC LIMIT 1`,
    ).get(experimentId, specHash) as RunRow | undefined;
    return row && toRun(row);
  }

  gcRuns(options: GcOptions = {}): GcResult {
    const host = options.host ?? hostname();
    const isAlive = options.isAlive ?? pidIsAlive;
    if (options.staleAfterMs !== undefined) checkSafeInteger(options.staleAfterMs, 'gcRuns: staleAfterMs');
    const decide = (): { id: string; pk: number; heartbeat_at: number }[] => {
      const now = Date.now();
      const running = this.sql("SELECT pk, id, host, pid, heartbeat_at FROM runs WHERE status = 'running'").all() as {
        pk: number;
        id: string;
        host: string;
        pid: number | null;
        heartbeat_at: number;
      }[];
      return running.filter((r) => {
        if (r.host === host && r.pid !== null && !isAlive(r.pid)) return true;
        return options.staleAfterMs !== undefined && now - r.heartbeat_at > options.staleAfterMs;
      });
    };
    if (options.dryRun) return { killed: this.read(decide).map((r) => r.id) };
    return this.write(() => {
      const dead = decide();
      // The end time is the last sign of life, which is closer to the truth than "now".
      for (const r of dead) this.sql("UPDATE runs SET status = 'killed', end_time = heartbeat_at WHERE pk = ? AND status = 'running'").run(r.pk);
      return { killed: dead.map((r) => r.id) };
    });
  }

  deleteRun(runId: string): void {
    this.write(() => {
      const pk = this.runPk(runId);
      this.blocks.deleteRun(pk);
      this.sql('DELETE FROM metrics WHERE series_id IN (SELECT id FROM series WHERE run_pk = ?)').run(pk);
      this.sql('DELETE FROM runs WHERE pk = ?').run(pk);
    });
  }

  // --- writes

  logBatch(runId: string, batch: LogBatchInput): void {
    checkBatch(batch);
    const now = Date.now();
    this.write(() => {
      const pk = this.runPk(runId);
      if (batch.params?.length) this.insertParams(pk, batch.params);
      if (batch.tags?.length) this.upsertTags(pk, batch.tags);
      if (batch.metrics?.length) this.insertMetrics(pk, batch.metrics, now);
      this.sql('UPDATE runs SET heartbeat_at = ? WHERE pk = ?').run(now, pk);
    });
  }

  logMetric(runId: string, metric: MetricInput): void {
    this.logBatch(runId, { metrics: [metric] });
  }

  logParam(runId: string, key: string, value: string): void {
    this.logBatch(runId, { params: [{ key, value }] });
  }

  setTag(runId: string, key: string, value: string): void {
    this.logBatch(runId, { tags: [{ key, value }] });
  }

  /** Params are write-once: the same value again is a no-op (a resumed run re-logs them), another is an error. */
  private insertParams(pk: number, params: readonly KeyValue[]): void {
    const insert = this.sql('INSERT INTO params(run_pk, key, value, num_value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    for (const p of params) {
      if (insert.run(pk, p.key, p.value, numericValue(p.value)).changes > 0) continue;
      const existing = this.sql('SELECT value FROM params WHERE run_pk = ? AND key = ?').get(pk, p.key) as { value: string };
      if (existing.value !== p.value) {
        throw new StoreError(
          'CONFLICT',
          `param ${show(p.key)} was already logged with value ${show(existing.value)}; received ${show(p.value)} (params cannot change; use a tag or a metric)`,
        );
      }
    }
  }

  private upsertTags(pk: number, tags: readonly KeyValue[]): void {
    const upsert = this.sql('INSERT INTO tags(run_pk, key, value) VALUES (?, ?, ?) ON CONFLICT(run_pk, key) DO UPDATE SET value = excluded.value');
    for (const t of tags) upsert.run(pk, t.key, t.value);
    if (tags.length) this.refreshSearchText(pk);
  }

  private refreshSearchText(pk: number): void {
    this.sql(`UPDATE runs SET search_text = ${SEARCH_TEXT_EXPR} WHERE pk = ?`).run(pk);
  }

  private insertMetrics(pk: number, metrics: readonly MetricInput[], now: number): void {
    // Group by key; within a key, the last point logged for a step wins (the same rule as across batches).
    // Each point's seq follows its position in the batch, so live readers get points in the order logged.
    const base = (this.sql("SELECT value FROM counters WHERE name = 'metric_seq'").get() as { value: number }).value;
    const byKey = new Map<string, Map<number, SeqPoint>>();
    metrics.forEach((m, i) => {
      let steps = byKey.get(m.key);
      if (!steps) byKey.set(m.key, (steps = new Map()));
      steps.set(m.step, { ...m, timestamp: m.timestamp ?? now, seq: base + i + 1 });
    });
    for (const [key, steps] of byKey) {
      const points = [...steps.values()].sort((a, b) => a.step - b.step);
      const stats = batchStats(points);
      const series = this.sql('SELECT * FROM series WHERE run_pk = ? AND key = ?').get(pk, key) as SeriesRow | undefined;
      let seriesId: number;
      if (!series) {
        const l = stats.latest;
        seriesId = Number(
          this.sql(
            `INSERT INTO series(run_pk, key, value, step, epoch, timestamp, min, min_step, max, max_step, count)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(pk, key, toDb(l.value), l.step, l.epoch ?? null, l.timestamp, stats.min, stats.minStep, stats.max, stats.maxStep, points.length)
            .lastInsertRowid,
        );
      } else {
        seriesId = series.id;
      }
      for (let i = 0; i < points.length; i += METRIC_INSERT_CHUNK) {
        const chunk = points.slice(i, i + METRIC_INSERT_CHUNK);
        const values: (number | null)[] = [];
        for (const p of chunk) values.push(seriesId, p.step, p.epoch ?? null, toDb(p.value), p.timestamp, p.seq);
        this.insertPointsStatement(chunk.length).run(values);
      }
      if (!series || points[0]!.step > series.step) {
        if (series) this.appendSeries(series, stats, points.length);
        this.blocks.append(seriesId, points);
      } else {
        // Overwrote or filled in earlier steps: derive everything again from the rows.
        this.blocks.rebuildFrom(seriesId, points[0]!.step);
        this.recomputeSeries(series.id);
      }
    }
    this.sql("UPDATE counters SET value = ? WHERE name = 'metric_seq'").run(base + metrics.length);
  }

  private insertPointsStatement(rows: number): Database.Statement {
    // INSERT OR REPLACE: re-logging a step replaces the point (and gives it a new seq, so live readers see it).
    return this.sql(`INSERT OR REPLACE INTO metrics(series_id, step, epoch, value, timestamp, seq) VALUES ${'(?, ?, ?, ?, ?, ?), '.repeat(rows).slice(0, -2)}`);
  }

  /** The common case: every new point comes after the stored ones, so latest/best update incrementally. */
  private appendSeries(series: SeriesRow, stats: BatchStats, added: number): void {
    const l = stats.latest;
    let { min, min_step: minStep, max, max_step: maxStep } = series;
    if (stats.min !== null && (min === null || stats.min < min)) [min, minStep] = [stats.min, stats.minStep];
    if (stats.max !== null && (max === null || stats.max > max)) [max, maxStep] = [stats.max, stats.maxStep];
    this.sql(
      `UPDATE series SET value = ?, step = ?, epoch = ?, timestamp = ?, min = ?, min_step = ?, max = ?, max_step = ?,
         count = count + ? WHERE id = ?`,
    ).run(toDb(l.value), l.step, l.epoch ?? null, l.timestamp, min, minStep, max, maxStep, added, series.id);
  }

  /** Derives a series' latest/best values from its stored points; removes the series when none are left. */
  private recomputeSeries(seriesId: number): void {
    const agg = this.sql('SELECT count(*) AS count, min(value) AS min, max(value) AS max FROM metrics WHERE series_id = ?').get(seriesId) as {
      count: number;
      min: number | null;
      max: number | null;
    };
    if (agg.count === 0) {
      this.sql('DELETE FROM series WHERE id = ?').run(seriesId);
      return;
    }
    const last = this.sql('SELECT step, epoch, value, timestamp FROM metrics WHERE series_id = ? ORDER BY step DESC LIMIT 1').get(seriesId) as {
      step: number;
      epoch: number | null;
      value: number | null;
      timestamp: number;
    };
    const firstStepWith = (value: number | null): number | null =>
      value === null
        ? null
        : (this.sql('SELECT step FROM metrics WHERE series_id = ? AND value = ? ORDER BY step LIMIT 1').get(seriesId, value) as { step: number }).step;
    this.sql(
      `UPDATE series SET value = ?, step = ?, epoch = ?, timestamp = ?, min = ?, min_step = ?, max = ?, max_step = ?,
         count = ? WHERE id = ?`,
    ).run(last.value, last.step, last.epoch, last.timestamp, agg.min, firstStepWith(agg.min), agg.max, firstStepWith(agg.max), agg.count, seriesId);
  }

  logArtifact(runId: string, artifact: NewArtifact): Artifact {
    if (artifact === null || typeof artifact !== 'object') throw invalid(`logArtifact expects { kind, path }, received ${show(artifact)}`);
    checkKey(artifact.kind, 'artifact kind');
    if (typeof artifact.path !== 'string' || artifact.path.length === 0) throw invalid(`artifact path must be a non-empty string, received ${show(artifact.path)}`);
    if (artifact.step !== undefined && artifact.step !== null) checkSafeInteger(artifact.step, 'artifact step');
    checkOptionalFinite(artifact.epoch, 'artifact epoch');
    const metadata = artifact.metadata === undefined ? null : JSON.stringify(artifact.metadata);
    const now = Date.now();
    return this.write(() => {
      const pk = this.runPk(runId);
      const { id } = this.sql(
        `INSERT INTO artifacts(run_pk, kind, path, step, epoch, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(run_pk, kind, path) DO UPDATE SET step = excluded.step, epoch = excluded.epoch,
           metadata = excluded.metadata, updated_at = excluded.updated_at
         RETURNING id`,
      ).get(pk, artifact.kind, artifact.path, artifact.step ?? null, artifact.epoch ?? null, metadata, now, now) as { id: number };
      return toArtifact(this.sql(`${ARTIFACT_SELECT} WHERE a.id = ?`).get(id) as ArtifactRow);
    });
  }

  listArtifacts(runId: string, kind?: string): Artifact[] {
    const pk = this.runPk(runId);
    const rows = (
      kind === undefined
        ? this.sql(`${ARTIFACT_SELECT} WHERE a.run_pk = ? ORDER BY a.kind, a.path`).all(pk)
        : this.sql(`${ARTIFACT_SELECT} WHERE a.run_pk = ? AND a.kind = ? ORDER BY a.path`).all(pk, kind)
    ) as ArtifactRow[];
    return rows.map(toArtifact);
  }

  logEvaluation(runId: string, evaluation: NewEvaluation): Evaluation {
    checkEvaluation(evaluation);
    const now = Date.now();
    return this.write(() => {
      const pk = this.runPk(runId);
      const { id } = this.sql(
        `INSERT INTO evaluations(run_pk, created_at, dataset, checkpoint, step, epoch, accuracy, class_names, per_class,
           confusion_matrix, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      ).get(
        pk,
        now,
        evaluation.dataset,
        evaluation.checkpoint ?? null,
        evaluation.step ?? null,
        evaluation.epoch ?? null,
        evaluation.accuracy,
        JSON.stringify(evaluation.classNames),
        JSON.stringify(evaluation.perClass),
        JSON.stringify(evaluation.confusionMatrix),
        JSON.stringify(evaluation.extra ?? {}),
      ) as { id: number };
      return toEvaluation(this.sql(`${EVALUATION_SELECT} WHERE v.id = ?`).get(id) as EvaluationRow);
    });
  }

  listEvaluations(runId: string): Evaluation[] {
    const pk = this.runPk(runId);
    return (this.sql(`${EVALUATION_SELECT} WHERE v.run_pk = ? ORDER BY v.created_at DESC, v.id DESC`).all(pk) as EvaluationRow[]).map(toEvaluation);
  }

  // --- queries

  listRuns(query: RunListQuery = {}): RunPage {
    return this.read(() => listRuns(this.db, query, Date.now()));
  }

  getMetricHistory(runId: string, key: string, options: MetricHistoryOptions = {}): MetricPoint[] {
    checkKey(key, 'metric key');
    if (options.afterStep !== undefined) checkSafeInteger(options.afterStep, 'afterStep');
    if (options.limit !== undefined) checkSafeInteger(options.limit, 'limit');
    return this.read(() => {
      const pk = this.runPk(runId);
      const series = this.sql('SELECT id FROM series WHERE run_pk = ? AND key = ?').get(pk, key) as { id: number } | undefined;
      if (!series) return [];
      const rows = this.sql('SELECT seq, step, epoch, value, timestamp FROM metrics WHERE series_id = ? AND step > ? ORDER BY step LIMIT ?').all(
        series.id,
        options.afterStep ?? Number.MIN_SAFE_INTEGER,
        options.limit ?? -1,
      ) as { seq: number; step: number; epoch: number | null; value: number | null; timestamp: number }[];
      return rows.map((r) => ({ id: r.seq, runId, key, value: fromDb(r.value), step: r.step, epoch: r.epoch, timestamp: r.timestamp }));
    });
  }

  listMetricKeys(runIds?: readonly string[]): string[] {
    return this.keysOf('series', runIds);
  }

  listParamKeys(runIds?: readonly string[]): string[] {
    return this.keysOf('params', runIds);
  }

  private keysOf(table: 'series' | 'params', runIds?: readonly string[]): string[] {
    return this.read(() => {
      if (runIds === undefined) return (this.sql(`SELECT DISTINCT key FROM ${table} ORDER BY key`).all() as { key: string }[]).map((r) => r.key);
      const pks = runIds.map((id) => this.runPk(id));
      if (pks.length === 0) return [];
      const rows = this.db.prepare(`SELECT DISTINCT key FROM ${table} WHERE run_pk IN (${pks.map(() => '?').join(', ')}) ORDER BY key`).all(...pks) as {
        key: string;
      }[];
      return rows.map((r) => r.key);
    });
  }

  listParamValues(key: string, options: { limit?: number } = {}): FacetValue[] {
    checkKey(key, 'param key');
    const limit = options.limit ?? MAX_FACET_VALUES;
    checkSafeInteger(limit, 'limit');
    if (limit < 1) throw invalid(`limit must be at least 1, received ${limit}`);
    return this.sql('SELECT value, count(*) AS count FROM params WHERE key = ? GROUP BY value ORDER BY count DESC, value LIMIT ?').all(key, limit) as FacetValue[];
  }

  getRunFacets(): RunFacets {
    return this.read(() => ({
      statuses: this.sql('SELECT status AS value, count(*) AS count FROM runs GROUP BY status ORDER BY count DESC, value').all() as FacetValue[],
      experiments: this.sql(
        `SELECT e.name AS value, count(r.pk) AS count FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id
         GROUP BY e.id ORDER BY e.created_at DESC, e.id DESC LIMIT ?`,
      ).all(MAX_FACET_VALUES) as FacetValue[],
      models: this.listParamValues(MODEL_NAME_PARAM),
      optimizers: this.listParamValues(OPTIMIZER_NAME_PARAM),
      tagKeys: this.listTagKeys(),
    }));
  }

  listTagKeys(options: { limit?: number } = {}): FacetValue[] {
    const limit = options.limit ?? MAX_FACET_VALUES;
    checkSafeInteger(limit, 'limit');
    if (limit < 1) throw invalid(`limit must be at least 1, received ${limit}`);
    return this.sql('SELECT key AS value, count(*) AS count FROM tags GROUP BY key ORDER BY count DESC, key LIMIT ?').all(limit) as FacetValue[];
  }

  getLatestMetrics(runId: string): Record<string, LatestMetric> {
    return this.read(() => this.latestMetrics(this.runPk(runId)));
  }

  getMetricSeries(query: MetricSeriesQuery): MetricSeries[] {
    return this.read(() => getMetricSeries(this.db, this.blocks, (id) => this.runPk(id), query));
  }

  getMetricColumns(query: MetricSeriesQuery): MetricColumns[] {
    return this.read(() => getMetricColumns(this.db, this.blocks, (id) => this.runPk(id), query));
  }

  getPackedMetricColumns(query: MetricSeriesQuery): PackedMetricColumns[] {
    return this.read(() => getPackedMetricColumns(this.db, this.blocks, (id) => this.runPk(id), query));
  }

  getMetricsAfter(query: MetricsAfterQuery): MetricsAfterResult {
    return this.read(() => getMetricsAfter(this.db, query));
  }

  lastMetricId(): number {
    return (this.sql("SELECT value FROM counters WHERE name = 'metric_seq'").get() as { value: number }).value;
  }

  iterateMetrics(query: MetricExportQuery): IterableIterator<MetricPoint> {
    const pks = new Map(query.runIds.map((id) => [this.runPk(id), id] as const));
    return iterateMetrics(this.db, pks, query.keys);
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}

const ARTIFACT_SELECT = `SELECT a.id, r.id AS run_id, a.kind, a.path, a.step, a.epoch, a.metadata, a.created_at, a.updated_at
  FROM artifacts a JOIN runs r ON r.pk = a.run_pk`;
const EVALUATION_SELECT = `SELECT v.id, r.id AS run_id, v.created_at, v.dataset, v.checkpoint, v.step, v.epoch, v.accuracy,
  v.class_names, v.per_class, v.confusion_matrix, v.extra FROM evaluations v JOIN runs r ON r.pk = v.run_pk`;

function batchStats(sortedPoints: (MetricInput & { timestamp: number })[]): BatchStats {
  const stats: BatchStats = { latest: sortedPoints[sortedPoints.length - 1]!, min: null, minStep: null, max: null, maxStep: null };
  for (const p of sortedPoints) {
    if (Number.isNaN(p.value)) continue;
    if (stats.min === null || p.value < stats.min) [stats.min, stats.minStep] = [p.value, p.step];
    if (stats.max === null || p.value > stats.max) [stats.max, stats.maxStep] = [p.value, p.step];
  }
  return stats;
}

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function checkEvaluation(e: NewEvaluation): void {
  if (e === null || typeof e !== 'object') throw invalid(`logEvaluation expects an evaluation object, received ${show(e)}`);
  checkKey(e.dataset, 'evaluation dataset');
  if (typeof e.accuracy !== 'number' || !(e.accuracy >= 0 && e.accuracy <= 1)) {
    throw invalid(`evaluation accuracy must be a number in [0, 1], received ${show(e.accuracy)}`);
  }
  if (!Array.isArray(e.classNames) || e.classNames.some((c) => typeof c !== 'string')) {
    throw invalid(`evaluation classNames must be an array of strings, received ${show(e.classNames)}`);
  }
  const n = e.classNames.length;
  const m = e.confusionMatrix;
  if (!Array.isArray(m) || m.length !== n || m.some((row) => !Array.isArray(row) || row.length !== n || row.some((c) => !Number.isInteger(c) || c < 0))) {
    throw invalid(`evaluation confusionMatrix must be ${n}x${n} (one row and column per class name) of non-negative integers, received ${show(m)}`);
  }
  if (!Array.isArray(e.perClass) || e.perClass.length !== n) {
    throw invalid(`evaluation perClass must have one entry per class (${n}), received ${show(e.perClass)}`);
  }
  e.perClass.forEach((c, i) => {
    if (c === null || typeof c !== 'object' || typeof c.className !== 'string') throw invalid(`evaluation perClass[${i}].className must be a string, received ${show(c)}`);
    for (const field of ['precision', 'recall'] as const) {
      // NaN (a class never predicted) is not allowed: JSON cannot carry it; report 0 as scikit-learn does.
      if (typeof c[field] !== 'number' || !(c[field] >= 0 && c[field] <= 1)) {
        throw invalid(`evaluation perClass[${i}].${field} (${c.className}) must be a number in [0, 1], received ${show(c[field])}`);
      }
    }
    if (!Number.isInteger(c.support) || c.support < 0) throw invalid(`evaluation perClass[${i}].support (${c.className}) must be a non-negative integer, received ${show(c.support)}`);
  });
  if (e.step !== undefined && e.step !== null) checkSafeInteger(e.step, 'evaluation step');
  checkOptionalFinite(e.epoch, 'evaluation epoch');
}
