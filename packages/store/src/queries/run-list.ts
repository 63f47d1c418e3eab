/**
 * The paged, filtered, sorted run list. Paging is keyset-based: the page token carries the sort values of the
 * last row, so new runs arriving between pages never shift or repeat rows (an offset would). A token also
 * carries a fingerprint of the filters and sort it was made for, and the "now" used for running runs'
 * durations, so every page of one listing sorts the same way.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { canonicalJson } from '@vgglab/core/canonical-json';
import { DEFAULT_PAGE_SIZE, DEFAULT_SORT_KEY, MAX_PAGE_SIZE } from '../defaults.ts';
import { StoreError } from '../errors.ts';
import { PARAM_KEYS } from '../param-keys.ts';
import { SHOWN_END_TIME_SQL, SHOWN_STATUS_SQL, runningShownAsSql } from '../runs/liveness.ts';
import { type RunRow, type SeriesRow, RUN_SUMMARY_COLUMNS, durationOf, toLatest, toRun } from '../storage/rows.ts';
import type { LatestMetric, MetricFilter, RunListQuery, RunPage, RunStatus, RunSummary } from '../types.ts';
import { checkKey, checkSafeInteger, checkStatus, invalid, show } from '../validate.ts';
import { addRangeFilters } from './param-ranges.ts';

type SqlValue = string | number | null;

/** One column of the sort tuple. `fixed` columns (missing-value flags) sort ascending in both directions, so
 * runs without the sort value come last either way. */
interface SortPart {
  expr: string;
  fixed?: boolean;
}

interface Sort {
  join: string;
  joinArgs: SqlValue[];
  parts: SortPart[];
  /** Metric sorts are driven from the series index (see metricDrivenRows). */
  metric?: { key: string; column: string };
}

// Status and end time as the run shows them: a crashed run sorts as crashed, ended at its last heartbeat.
const RUN_COLUMN_SORTS: Record<string, SortPart[]> = {
  startTime: [{ expr: 'r.start_time' }],
  endTime: [{ expr: `${SHOWN_END_TIME_SQL} IS NULL`, fixed: true }, { expr: `coalesce(${SHOWN_END_TIME_SQL}, 0)` }],
  duration: [{ expr: `coalesce(${SHOWN_END_TIME_SQL}, @now) - r.start_time` }],
  name: [{ expr: 'r.name' }],
  status: [{ expr: SHOWN_STATUS_SQL }],
  experiment: [{ expr: 'e.name' }],
  id: [{ expr: 'r.id' }],
};

const METRIC_SORT_COLUMNS: Record<string, string> = { metric: 'value', 'metric.min': 'min', 'metric.max': 'max' };

function parseSort(sortBy: string): Sort {
  const column = RUN_COLUMN_SORTS[sortBy];
  if (column) return { join: '', joinArgs: [], parts: column };
  const colon = sortBy.indexOf(':');
  const kind = colon > 0 ? sortBy.slice(0, colon) : '';
  const key = sortBy.slice(colon + 1);
  if (kind === 'param' && key) {
    return {
      join: 'LEFT JOIN params sp ON sp.run_pk = r.pk AND sp.key = ?',
      joinArgs: [key],
      parts: [
        { expr: 'sp.value IS NULL', fixed: true },
        // numbers first, compared as numbers; then text
        { expr: 'sp.num_value IS NULL', fixed: true },
        { expr: 'coalesce(sp.num_value, 0)' },
        { expr: "coalesce(sp.value, '')" },
      ],
    };
  }
  const metricColumn = METRIC_SORT_COLUMNS[kind];
  if (metricColumn && key) {
    return {
      join: 'LEFT JOIN series sm ON sm.run_pk = r.pk AND sm.key = ?',
      joinArgs: [key],
      // a NaN latest value is stored as NULL and sorts with the runs that lack the metric
      parts: [{ expr: `sm.${metricColumn} IS NULL`, fixed: true }, { expr: `coalesce(sm.${metricColumn}, 0)` }],
      metric: { key, column: metricColumn },
    };
  }
  throw invalid(
    `sortBy ${show(sortBy)} is not a sort key: use one of ${Object.keys(RUN_COLUMN_SORTS).join(', ')}, ` +
      '`param:<key>`, `metric:<key>`, `metric.min:<key>` or `metric.max:<key>`',
  );
}

const METRIC_OPS = new Set(['<', '<=', '>', '>=', '=', '!=']);
const METRIC_OF: Record<string, string> = { latest: 'value', min: 'min', max: 'max' };

interface Where {
  sql: string[];
  args: SqlValue[];
}

function buildFilters(db: Database.Database, query: RunListQuery): Where | undefined {
  const where: Where = { sql: [], args: [] };
  const add = (sql: string, ...args: SqlValue[]): void => {
    where.sql.push(sql);
    where.args.push(...args);
  };
  if (query.experiment !== undefined) {
    const row = (
      typeof query.experiment === 'number'
        ? db.prepare('SELECT id FROM experiments WHERE id = ?').get(query.experiment)
        : db.prepare('SELECT id FROM experiments WHERE name = ?').get(query.experiment)
    ) as { id: number } | undefined;
    if (!row) return undefined; // no such experiment: an empty list, not an error (a filter that matches nothing)
    add('r.experiment_id = ?', row.id);
  }
  if (query.status !== undefined) {
    const statuses: readonly RunStatus[] = Array.isArray(query.status) ? query.status : [query.status as RunStatus];
    statuses.forEach((s, i) => checkStatus(s, `status[${i}]`));
    if (statuses.length === 0) return undefined;
    addStatusFilter(add, statuses);
  }
  const paramEquals: [string, string][] = [];
  if (query.model !== undefined) paramEquals.push([PARAM_KEYS.modelName, query.model]);
  if (query.optimizer !== undefined) paramEquals.push([PARAM_KEYS.optimizerName, query.optimizer]);
  for (const [key, value] of Object.entries(query.params ?? {})) paramEquals.push([key, value]);
  for (const [key, value] of paramEquals) {
    checkKey(key, 'param filter key');
    if (typeof value !== 'string') throw invalid(`param filter ${show(key)} must be a string, received ${show(value)}`);
    // IN over the (key, value) index rather than EXISTS per run: SQLite then reads only the matching runs' rows
    // (bench:dashboard's filtered list, 10,000 runs: 15.3 -> 6.6 ms for the page, 8.0 -> 2.9 ms for its count).
    add('r.pk IN (SELECT p.run_pk FROM params p WHERE p.key = ? AND p.value = ?)', key, value);
  }
  for (const [key, value] of Object.entries(query.tags ?? {})) {
    checkKey(key, 'tag filter key');
    if (value === true) add('r.pk IN (SELECT t.run_pk FROM tags t WHERE t.key = ?)', key);
    else if (typeof value === 'string') add('r.pk IN (SELECT t.run_pk FROM tags t WHERE t.key = ? AND t.value = ?)', key, value);
    else throw invalid(`tag filter ${show(key)} must be a string or true, received ${show(value)}`);
  }
  (query.metrics ?? []).forEach((f: MetricFilter, i) => {
    checkKey(f?.key, `metrics[${i}].key`);
    if (!METRIC_OPS.has(f.op)) throw invalid(`metrics[${i}].op must be one of ${[...METRIC_OPS].join(' ')}, received ${show(f.op)}`);
    if (typeof f.value !== 'number' || Number.isNaN(f.value)) throw invalid(`metrics[${i}].value must be a number, received ${show(f.value)}`);
    const column = METRIC_OF[f.of ?? 'latest'];
    if (!column) throw invalid(`metrics[${i}].of must be latest, min or max, received ${show(f.of)}`);
    // unary + keeps the planner on the (run_pk, key) lookup: a range on series_key_<column> per run is far slower
    add(`EXISTS (SELECT 1 FROM series s WHERE s.run_pk = r.pk AND s.key = ? AND +s.${column} ${f.op} ?)`, f.key, f.value);
  });
  addRangeFilters(add, query);
  if (query.text !== undefined && query.text !== '') {
    if (typeof query.text !== 'string') throw invalid(`text must be a string, received ${show(query.text)}`);
    add('instr(r.search_text, ?)', query.text.toLowerCase());
  }
  return where;
}

/**
 * Status filter on the status a run shows. Stored statuses other than `running` are matched on the indexed
 * column (a stored `crashed` among them: the tracking server records it); a stored `running` run shows `running`
 * or `crashed`, told apart by the liveness function.
 */
function addStatusFilter(add: (sql: string, ...args: SqlValue[]) => void, statuses: readonly RunStatus[]): void {
  const stored = [...new Set(statuses.filter((s) => s !== 'running'))];
  const live = [...new Set(statuses.filter((s) => s === 'running' || s === 'crashed'))];
  const ors: string[] = [];
  const args: SqlValue[] = [];
  if (stored.length) {
    ors.push(`r.status IN (${stored.map(() => '?').join(', ')})`);
    args.push(...stored);
  }
  if (live.length === 2) ors.push("r.status = 'running'");
  else if (live.length === 1) {
    ors.push(runningShownAsSql('?'));
    args.push(live[0]!);
  }
  add(`(${ors.join(' OR ')})`, ...args);
}

interface PageToken {
  /** fingerprint of filters + sort */
  f: string;
  /** sort values of the last row, then its pk */
  k: SqlValue[];
  /** "now" of the first page */
  t: number;
  /** total of the first page */
  n: number;
}

function fingerprint(query: RunListQuery, sortBy: string, order: string): string {
  const { limit: _limit, pageToken: _token, includeParams: _p, includeMetrics: _m, ...filters } = query;
  return createHash('sha256').update(canonicalJson({ filters, sortBy, order })).digest('base64url').slice(0, 16);
}

// JSON has no Infinity; metric sort values can be infinite.
function encodeToken(token: PageToken): string {
  const json = JSON.stringify(token, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { inf: v > 0 ? 1 : -1 } : v,
  );
  return Buffer.from(json).toString('base64url');
}

function decodeToken(text: string): PageToken {
  const bad = (): StoreError => invalid(`pageToken ${show(text)} is not a page token from this run list`);
  let token: PageToken;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'), (_k, v: unknown) =>
      v !== null && typeof v === 'object' && 'inf' in v ? ((v as { inf: number }).inf > 0 ? Infinity : -Infinity) : v,
    ) as PageToken;
  } catch {
    throw bad();
  }
  if (
    token === null ||
    typeof token !== 'object' ||
    typeof token.f !== 'string' ||
    !Array.isArray(token.k) ||
    typeof token.t !== 'number' ||
    typeof token.n !== 'number' ||
    token.k.some((v) => v !== null && typeof v !== 'string' && typeof v !== 'number')
  ) {
    throw bad();
  }
  return token;
}

export function listRuns(db: Database.Database, query: RunListQuery, now: number): RunPage {
  if (query === null || typeof query !== 'object') throw invalid(`listRuns expects a query object, received ${show(query)}`);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  checkSafeInteger(limit, 'limit');
  if (limit < 1 || limit > MAX_PAGE_SIZE) throw invalid(`limit must be between 1 and ${MAX_PAGE_SIZE}, received ${limit}`);
  const sortBy = query.sortBy ?? DEFAULT_SORT_KEY;
  const order = query.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalid(`order must be asc or desc, received ${show(order)}`);
  const sort = parseSort(sortBy);
  const parts: SortPart[] = [...sort.parts, { expr: 'r.pk' }];
  const print = fingerprint(query, sortBy, order);

  const where = buildFilters(db, query);
  if (!where) return { runs: [], nextPageToken: null, total: 0 };
  let token: PageToken | undefined;
  if (query.pageToken) {
    token = decodeToken(query.pageToken);
    if (token.f !== print) throw invalid('pageToken belongs to a listing with other filters or sort; start again without a token');
    if (token.k.length !== parts.length) throw invalid('pageToken does not match this sort');
    now = token.t;
  }
  const from = `FROM runs r JOIN experiments e ON e.id = r.experiment_id`;
  const whereSql = (extra: string[]): string => (extra.length ? `WHERE ${extra.join(' AND ')}` : '');
  const withNow = (sql: string): string => sql.replaceAll('@now', String(Math.trunc(now)));


  const keyset: string[] = [];
  const keysetArgs: SqlValue[] = [];
  if (token) {
    // (a > x) OR (a = x AND b > y) OR …, each comparison in its own column's direction
    const ors: string[] = [];
    parts.forEach((part, i) => {
      const ands: string[] = [];
      for (let j = 0; j < i; j++) {
        ands.push(`(${parts[j]!.expr}) = ?`);
        keysetArgs.push(token!.k[j]!);
      }
      const ascending = part.fixed || order === 'asc';
      ands.push(`(${part.expr}) ${ascending ? '>' : '<'} ?`); // parenthesised: `a IS NULL = ?` would parse wrongly
      keysetArgs.push(token!.k[i]!);
      ors.push(`(${ands.join(' AND ')})`);
    });
    keyset.push(`(${ors.join(' OR ')})`);
  }
  const orderBy = parts.map((p) => `(${p.expr}) ${p.fixed || order === 'asc' ? 'ASC' : 'DESC'}`).join(', ');
  const sortColumns = parts.map((p, i) => `(${p.expr}) AS k${i}`).join(', ');
  const rows = sort.metric
    ? metricDrivenRows(db, sort.metric, order, where, token, limit + 1)
    : (db
        .prepare(
          withNow(
            `SELECT ${RUN_SUMMARY_COLUMNS}, ${sortColumns} ${from} ${sort.join}
             ${whereSql([...where.sql, ...keyset])} ORDER BY ${orderBy} LIMIT ?`,
          ),
        )
        .all(...sort.joinArgs, ...where.args, ...keysetArgs, limit + 1) as (RunRow & Record<string, SqlValue>)[]);
  // Counted for the first page only; later pages carry that total in their token rather than filter every run
  // again. (A count(*) OVER () window in the page query would make SQLite build every matching row in full.)
  const total = token ? token.n : (db.prepare(`SELECT count(*) ${from} ${whereSql(where.sql)}`).pluck().get(...where.args) as number);

  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  const nextPageToken =
    hasMore && last ? encodeToken({ f: print, k: parts.map((_, i) => last[`k${i}`] ?? null), t: now, n: total }) : null;
  return { runs: attach(db, page, query, now), nextPageToken, total };
}

/**
 * The same rows and sort keys (k0 = missing flag, k1 = value, k2 = pk) as the generic query for a metric sort,
 * found in two phases: runs that have the metric, walked in order along the series_key_<column> index (only
 * the rows of the page are looked up), then runs without it (or whose value is NaN) by pk.
 */
function metricDrivenRows(
  db: Database.Database,
  metric: { key: string; column: string },
  order: 'asc' | 'desc',
  where: Where,
  token: PageToken | undefined,
  wanted: number,
): (RunRow & Record<string, SqlValue>)[] {
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  const cmp = order === 'asc' ? '>' : '<';
  const col = `sm.${metric.column}`;
  const filters = where.sql.length ? ` AND ${where.sql.join(' AND ')}` : '';
  const rows: (RunRow & Record<string, SqlValue>)[] = [];
  const inMissingPhase = token !== undefined && token.k[0] === 1;
  if (!inMissingPhase) {
    const keyset = token ? ` AND (${col} ${cmp} ? OR (${col} = ? AND sm.run_pk ${cmp} ?))` : '';
    const keysetArgs = token ? [token.k[1]!, token.k[1]!, token.k[2]!] : [];
    rows.push(
      ...(db
        .prepare(
          `SELECT ${RUN_SUMMARY_COLUMNS}, 0 AS k0, ${col} AS k1, r.pk AS k2
           FROM series sm INDEXED BY series_key_${metric.column}
             CROSS JOIN runs r ON r.pk = sm.run_pk CROSS JOIN experiments e ON e.id = r.experiment_id
           WHERE sm.key = ? AND ${col} IS NOT NULL${filters}${keyset}
           ORDER BY ${col} ${dir}, sm.run_pk ${dir} LIMIT ?`,
        )
        .all(metric.key, ...where.args, ...keysetArgs, wanted) as (RunRow & Record<string, SqlValue>)[]),
    );
  }
  if (rows.length < wanted) {
    const keyset = inMissingPhase ? ` AND r.pk ${cmp} ?` : '';
    rows.push(
      ...(db
        .prepare(
          `SELECT ${RUN_SUMMARY_COLUMNS}, 1 AS k0, 0 AS k1, r.pk AS k2
           FROM runs r JOIN experiments e ON e.id = r.experiment_id
           WHERE NOT EXISTS (SELECT 1 FROM series s WHERE s.run_pk = r.pk AND s.key = ? AND s.${metric.column} IS NOT NULL)${filters}${keyset}
           ORDER BY r.pk ${dir} LIMIT ?`,
        )
        .all(metric.key, ...where.args, ...(inMissingPhase ? [token!.k[2]!] : []), wanted - rows.length) as (RunRow & Record<string, SqlValue>)[]),
    );
  }
  return rows;
}

function keyFilter(include: 'all' | readonly string[] | undefined, what: string): { sql: string; args: string[] } {
  if (include === undefined || include === 'all') return { sql: '', args: [] };
  if (!Array.isArray(include)) throw invalid(`${what} must be 'all' or an array of keys, received ${show(include)}`);
  if (include.length === 0) return { sql: ' AND 0', args: [] };
  // `+key`: without it SQLite walks the (key, …) index over every run's rows of those keys to get ORDER BY key for
  // free, instead of the page's runs by primary key (bench:dashboard's run list: 21.5 -> 6.9 ms in the store).
  return { sql: ` AND +key IN (${include.map(() => '?').join(', ')})`, args: [...include] };
}

/** Params, tags and latest metrics for the rows of one page, three queries in all. */
function attach(db: Database.Database, rows: RunRow[], query: RunListQuery, now: number): RunSummary[] {
  if (rows.length === 0) return [];
  const pks = rows.map((r) => r.pk);
  const inPks = `run_pk IN (${pks.map(() => '?').join(', ')})`;
  const params = new Map<number, Record<string, string>>(pks.map((pk) => [pk, {}]));
  const tags = new Map<number, Record<string, string>>(pks.map((pk) => [pk, {}]));
  const metrics = new Map<number, Record<string, LatestMetric>>(pks.map((pk) => [pk, {}]));
  const pf = keyFilter(query.includeParams, 'includeParams');
  for (const r of db.prepare(`SELECT run_pk, key, value FROM params WHERE ${inPks}${pf.sql} ORDER BY key`).all(...pks, ...pf.args) as {
    run_pk: number;
    key: string;
    value: string;
  }[]) {
    params.get(r.run_pk)![r.key] = r.value;
  }
  for (const r of db.prepare(`SELECT run_pk, key, value FROM tags WHERE ${inPks} ORDER BY key`).all(...pks) as {
    run_pk: number;
    key: string;
    value: string;
  }[]) {
    tags.get(r.run_pk)![r.key] = r.value;
  }
  const mf = keyFilter(query.includeMetrics, 'includeMetrics');
  for (const r of db.prepare(`SELECT * FROM series WHERE ${inPks}${mf.sql} ORDER BY key`).all(...pks, ...mf.args) as SeriesRow[]) {
    metrics.get(r.run_pk)![r.key] = toLatest(r);
  }
  return rows.map((row) => {
    const { specText: _s, resolvedSpec: _r, ...run } = toRun(row);
    return {
      ...run,
      durationMs: durationOf(row, now),
      params: params.get(row.pk)!,
      tags: tags.get(row.pk)!,
      metrics: metrics.get(row.pk)!,
    };
  });
}
