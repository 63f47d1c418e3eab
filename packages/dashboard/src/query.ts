/** Turning validated query strings into the store's query objects. */
import type { MetricFilter, RunListQuery, RunStatus } from '@vgglab/store';
import { brushFilters, parseBrush } from './wire/brush.ts';

/** Query names whose values may be comma-separated lists (run ids, metric keys and statuses hold no commas). */
export const COMMA_LISTS = new Set(['runs', 'keys', 'status', 'withParams', 'withMetrics']);

/** Splits comma-separated list parameters in place, before validation. */
export function splitCommaLists(query: Record<string, unknown>): void {
  for (const name of COMMA_LISTS) {
    const value = query[name];
    if (value === undefined) continue;
    const items = (Array.isArray(value) ? value : [value]).flatMap((item) =>
      typeof item === 'string' ? item.split(',').map((s) => s.trim()).filter((s) => s.length > 0) : [item],
    );
    query[name] = items;
  }
}

/** A request error that names the query parameter and the value at fault; answered with status 400. */
export class BadQueryError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'BadQueryError';
  }
}

/** A key (no comparison characters in it), the first comparison, and the rest. */
const WHERE_PATTERN = /^\s*(?:(min|max|latest)\(([^<>=!]+)\)|([^<>=!]+?))\s*(<=|>=|!=|<|>|=)\s*(.*?)\s*$/;

/**
 * Parses `val/accuracy>0.9` or `max(val/accuracy)>=0.9` into a store metric filter. One comparison per `where`:
 * anything after the number (`val/accuracy>0 OR 1=1`) is a syntax error named in the message, never a part of the
 * key or the value (several conditions are several `where` parameters, all of which must hold).
 */
export function parseWhere(text: string): MetricFilter {
  const match = WHERE_PATTERN.exec(text);
  if (!match) {
    throw new BadQueryError(
      `query parameter 'where' must look like 'val/accuracy>0.9' or 'max(val/accuracy)>=0.9', received '${text}'`,
    );
  }
  const [, of, wrappedKey, plainKey, op, rest] = match;
  const [rawValue = '', ...extra] = rest.split(/\s+/);
  if (extra.length > 0) {
    throw new BadQueryError(
      `query parameter 'where' holds one comparison (key, operator, number): unexpected '${extra.join(' ')}' after '${rawValue}' in '${text}'; repeat where= for more conditions (all must hold)`,
    );
  }
  const value = Number(rawValue);
  if (rawValue.trim() === '' || Number.isNaN(value)) {
    throw new BadQueryError(`query parameter 'where' needs a number after '${op}', received '${rawValue}' in '${text}'`);
  }
  return {
    key: (wrappedKey ?? plainKey).trim(),
    op: op as MetricFilter['op'],
    value,
    of: (of as MetricFilter['of']) ?? 'latest',
  };
}

/** A `brush` parameter, or a 400 naming it. */
function parseBrushParam(text: string) {
  try {
    return parseBrush(text);
  } catch (error) {
    throw new BadQueryError((error as Error).message);
  }
}

function parseKeyValue(text: string): [string, string] {
  const at = text.indexOf('=');
  return [text.slice(0, at), text.slice(at + 1)];
}

export interface RunFilterQuerystring {
  q?: string;
  status?: RunStatus[];
  experiment?: string;
  model?: string;
  optimizer?: string;
  tag?: string[];
  param?: string[];
  where?: string[];
  brush?: string[];
  starred?: boolean;
  sort?: string;
  order?: 'asc' | 'desc';
}

export interface RunListQuerystring extends RunFilterQuerystring {
  limit?: number;
  pageToken?: string;
  withParams?: string[];
  withMetrics?: string[];
}

/** The store's run-list query for a validated querystring. */
export function toRunListQuery(query: RunListQuerystring): RunListQuery {
  const out: RunListQuery = {};
  if (query.q !== undefined && query.q.trim() !== '') out.text = query.q.trim();
  if (query.status?.length) out.status = query.status;
  if (query.experiment !== undefined) {
    out.experiment = /^\d+$/.test(query.experiment) ? Number(query.experiment) : query.experiment;
  }
  if (query.model !== undefined) out.model = query.model;
  if (query.optimizer !== undefined) out.optimizer = query.optimizer;
  if (query.tag?.length) {
    out.tags = Object.fromEntries(
      query.tag.map((t): [string, string | true] => (t.includes('=') ? parseKeyValue(t) : [t, true])),
    );
  }
  if (query.param?.length) out.params = Object.fromEntries(query.param.map(parseKeyValue));
  if (query.where?.length) out.metrics = query.where.map(parseWhere);
  if (query.brush?.length) {
    const { paramRanges, metrics } = brushFilters(query.brush.map(parseBrushParam));
    if (paramRanges.length) out.paramRanges = paramRanges;
    if (metrics.length) out.metrics = [...(out.metrics ?? []), ...metrics];
  }
  if (query.starred !== undefined) out.starred = query.starred;
  if (query.sort !== undefined) out.sortBy = query.sort;
  if (query.order !== undefined) out.order = query.order;
  if (query.limit !== undefined) out.limit = query.limit;
  if (query.pageToken !== undefined) out.pageToken = query.pageToken;
  const pick = (list: string[] | undefined) => (list === undefined || list.includes('all') ? 'all' : list);
  out.includeParams = pick(query.withParams);
  out.includeMetrics = pick(query.withMetrics);
  return out;
}
