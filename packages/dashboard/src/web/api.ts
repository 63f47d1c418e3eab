/** The page's client of the dashboard API (same origin). The bodies' types live in ../wire (the server builds them). */
import type { RunPage } from '@vgglab/store';
import type { ConfusionJson, Facets, ParamMetricJson, ParamsDiff, Prediction, RunDetailsJson, WireRunStatus } from '../wire/api-json.ts';
import { decodeBinarySeries, type DecodedSeries } from '../wire/binary-series.ts';
import { brushParam, type Brush } from '../wire/brush.ts';

export type { RunSummary, RunDetails, Evaluation } from '@vgglab/store';
export type {
  ConfusionJson,
  Facets,
  FacetValue,
  LivePoint,
  ParamMetricJson,
  ParamMetricRow,
  ParamsDiff,
  Prediction,
  RunDetailsJson,
  RunStatusChange,
  WireRunStatus as RunStatus,
} from '../wire/api-json.ts';

/** A series as the charts read it: what every encoding of /api/metrics decodes to. */
export type SeriesJson = DecodedSeries;

export interface SeriesResponse {
  cursor: number;
  encoding?: 'full' | 'compact' | 'binary';
  series: SeriesJson[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await (await getOk(path, signal)).json()) as T;
}

/** The response of a successful GET; an error status becomes an ApiError carrying the server's message. */
async function getOk(path: string, signal?: AbortSignal): Promise<Response> {
  const response = await fetch(path, { signal });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = ((await response.json()) as { message?: string }).message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, message);
  }
  return response;
}

/** Query string from a plain object; arrays become comma-separated lists (repeated parameters when an item holds a
 * comma, as a brush's JSON does), empty values are left out. */
export function queryString(params: Record<string, string | number | boolean | readonly string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      if (value.some((item: string) => item.includes(','))) for (const item of value) search.append(name, item);
      else if (value.length > 0) search.set(name, value.join(','));
    } else {
      search.set(name, String(value));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface RunFilters {
  q: string;
  status: WireRunStatus[];
  model: string;
  optimizer: string;
  experiment: string;
  tag: string;
  /** Metric condition, e.g. `max(val/accuracy)>=0.9`. */
  where: string;
  /** Only starred runs. */
  starred: boolean;
  /** Parallel-coordinates brushes (all must hold). */
  brushes: Brush[];
}

export const NO_FILTERS: RunFilters = { q: '', status: [], model: '', optimizer: '', experiment: '', tag: '', where: '', starred: false, brushes: [] };

export interface RunSort {
  by: string;
  order: 'asc' | 'desc';
}

/** Columns the table shows; the list asks the store for exactly these params and metrics. */
export const TABLE_PARAMS = ['model.name', 'optimizer.name', 'optimizer.lr'];
export const TABLE_METRICS = ['val/accuracy', 'val/loss', 'train/loss'];

export function runListQuery(filters: RunFilters, sort: RunSort) {
  return {
    q: filters.q,
    status: filters.status,
    model: filters.model,
    optimizer: filters.optimizer,
    experiment: filters.experiment,
    tag: filters.tag.trim() || undefined,
    where: filters.where.trim() || undefined,
    starred: filters.starred || undefined,
    brush: filters.brushes.map(brushParam),
    sort: sort.by,
    order: sort.order,
  };
}

export const api = {
  runs: (
    filters: RunFilters,
    sort: RunSort,
    page: { limit: number; pageToken?: string | null; withParams?: readonly string[]; withMetrics?: readonly string[] },
    signal?: AbortSignal,
  ) =>
    getJson<RunPage>(
      `api/runs${queryString({
        ...runListQuery(filters, sort),
        limit: page.limit,
        pageToken: page.pageToken ?? undefined,
        withParams: page.withParams ?? TABLE_PARAMS,
        withMetrics: page.withMetrics ?? TABLE_METRICS,
      })}`,
      signal,
    ),
  runsCsvUrl: (filters: RunFilters, sort: RunSort) => `api/runs.csv${queryString(runListQuery(filters, sort))}`,
  facets: () => getJson<Facets>('api/facets'),
  run: (id: string) => getJson<RunDetailsJson>(`api/runs/${encodeURIComponent(id)}`),
  paramKeys: () => getJson<{ keys: string[] }>('api/param-keys'),
  /** The runs of the table's filter, in its order: the x param, the colour param and the metric's latest/min/max. */
  paramMetric: (
    filters: RunFilters,
    sort: RunSort,
    choice: { x: string; y: string; color?: string; limit?: number },
    signal?: AbortSignal,
  ) => getJson<ParamMetricJson>(`api/param-metric${queryString({ ...runListQuery(filters, sort), ...choice })}`, signal),
  metricKeys: (runIds: readonly string[]) => getJson<{ keys: string[] }>(`api/metric-keys${queryString({ runs: runIds })}`),
  /** Asks for the binary encoding (exact values, no number formatting or parsing) and returns the same columns the
   * full JSON encoding carries, which the charts read. */
  async series(
    runIds: readonly string[],
    keys: readonly string[],
    maxPoints = 1000,
    options: { stepMin?: number; stepMax?: number; signal?: AbortSignal } = {},
  ): Promise<SeriesResponse> {
    const { stepMin, stepMax, signal } = options;
    const response = await getOk(`api/metrics${queryString({ runs: runIds, keys, maxPoints, stepMin, stepMax, encoding: 'binary' })}`, signal);
    return decodeBinarySeries(await response.arrayBuffer());
  },
  metricsCsvUrl: (runIds: readonly string[]) => `api/metrics.csv${queryString({ runs: runIds })}`,
  params: (runIds: readonly string[]) => getJson<ParamsDiff>(`api/params${queryString({ runs: runIds })}`),
  confusion: (id: string) => getJson<ConfusionJson>(`api/runs/${encodeURIComponent(id)}/confusion-matrix`),
  fileUrl: (runId: string, path: string) =>
    `api/runs/${encodeURIComponent(runId)}/files/${path.split('/').map(encodeURIComponent).join('/')}`,
  liveUrl: (runIds: readonly string[], after: number) => `api/live${queryString({ runs: runIds, after })}`,
  runEventsUrl: () => 'api/live?metrics=false',
  async predict(runId: string, file: File, top = 5): Promise<Prediction[]> {
    const response = await fetch(`api/runs/${encodeURIComponent(runId)}/predict?top=${top}`, {
      method: 'POST',
      headers: { 'content-type': file.type || 'application/octet-stream' },
      body: file,
    });
    const body = (await response.json().catch(() => ({}))) as { message?: string; predictions?: Prediction[] };
    if (!response.ok) throw new ApiError(response.status, body.message ?? `${response.status} ${response.statusText}`);
    return body.predictions ?? [];
  },
};
