/**
 * CSV export of the run list and of metric points (RFC 4180 quoting, "\n" line ends).
 *
 * Spreadsheet formula injection (OWASP "CSV Injection"): a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return is written with a single quote in front (`'=HYPERLINK(…)`), so a spreadsheet shows it as text
 * instead of running it. Run names, tags and param values are text anyone who can start a run chooses. Left as
 * they are: numbers (metric values, durations; `-0.5`, `-inf`), and text that is a plain decimal number (a param
 * `-0.5` or `-1e-4`), since a spreadsheet reads those as the number they are, and a number runs nothing.
 */
import { MAX_PAGE_SIZE } from '../defaults.ts';
import type { RunReader } from '../interfaces.ts';
import type { MetricExportQuery, RunListQuery, RunSummary } from '../types.ts';

export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? numberText(value) : neutralised(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Text that a spreadsheet would take for a formula, with a single quote in front. */
export function neutralised(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** NaN and the infinities as Python's csv/pandas read them back. */
function numberText(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

function line(fields: (string | number | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** CSV lines (header first) of every run matching the query (all pages), in its sort order: run columns, then
 * `tag:<key>`, `param:<key>`, and per metric `metric:<key>` (latest), `metric.min:<key>`, `metric.max:<key>`. */
export function* runListCsv(store: RunReader, query: Omit<RunListQuery, 'pageToken' | 'limit'> = {}): Generator<string> {
  // Columns are the union over all matching runs, so collect first (summaries are small).
  const runs: RunSummary[] = [];
  let pageToken: string | null = null;
  do {
    const page = store.listRuns({ ...query, limit: MAX_PAGE_SIZE, pageToken });
    runs.push(...page.runs);
    pageToken = page.nextPageToken;
  } while (pageToken);
  const tagKeys = [...new Set(runs.flatMap((r) => Object.keys(r.tags)))].sort();
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  yield line([
    'id',
    'name',
    'experiment',
    'status',
    'start_time',
    'end_time',
    'duration_s',
    'spec_hash',
    'seed',
    'git_commit',
    'backend',
    'host',
    ...tagKeys.map((k) => `tag:${k}`),
    ...paramKeys.map((k) => `param:${k}`),
    ...metricKeys.flatMap((k) => [`metric:${k}`, `metric.min:${k}`, `metric.max:${k}`]),
  ]);
  for (const r of runs) {
    yield line([
      r.id,
      r.name,
      r.experimentName,
      r.status,
      iso(r.startTime),
      iso(r.endTime),
      r.durationMs / 1000,
      r.specHash,
      r.seed,
      r.gitCommit,
      r.backend,
      r.host,
      ...tagKeys.map((k) => r.tags[k]),
      ...paramKeys.map((k) => r.params[k]),
      ...metricKeys.flatMap((k) => {
        const m = r.metrics[k];
        return m ? [m.value, m.min, m.max] : [null, null, null];
      }),
    ]);
  }
}

/** CSV lines `run_id,run_name,key,step,epoch,timestamp,value` (header first) of every point of the runs,
 * streamed row by row; `timestamp` in ISO 8601. */
export function* metricsCsv(store: RunReader, query: MetricExportQuery): Generator<string> {
  const points = store.iterateMetrics(query); // checks the run ids before the header is written
  const names = new Map(query.runIds.map((id) => [id, store.getRun(id)?.name ?? ''] as const));
  yield line(['run_id', 'run_name', 'key', 'step', 'epoch', 'timestamp', 'value']);
  for (const p of points) {
    yield line([p.runId, names.get(p.runId), p.key, p.step, p.epoch, iso(p.timestamp), p.value]);
  }
}
