/** The page's client of the comparison, edit and evaluation-image routes (same origin; bodies typed in ../wire). */
import type { RunEdit } from '@vgglab/store';
import type { HealthJson } from '../wire/api-json.ts';
import type { CompareJson, DeletedRunJson, EditedRunJson, MisclassifiedJson, ParamSpaceJson } from '../wire/compare-json.ts';
import { ApiError, getJson, queryString, runListQuery, type RunFilters, type RunSort } from './api.ts';

export type { CompareJson, MisclassifiedJson, ParamSpaceJson, RunEdit };

/** A JSON request with a body; an error status becomes an ApiError carrying the server's message. */
async function send<T>(method: 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json().catch(() => ({}))) as { message?: string };
  if (!response.ok) throw new ApiError(response.status, json.message ?? `${response.status} ${response.statusText}`);
  return json as T;
}

const runPath = (id: string) => `api/runs/${encodeURIComponent(id)}`;

export const compareApi = {
  health: () => getJson<HealthJson>('api/health'),
  compare: (runIds: readonly string[], signal?: AbortSignal) => getJson<CompareJson>(`api/compare${queryString({ runs: runIds })}`, signal),
  /** The runs of the table's filter without its brushes (the panel that draws the brushes shows every run). */
  paramSpace: (filters: RunFilters, sort: RunSort, choice: { metric: string; limit?: number }, signal?: AbortSignal) =>
    getJson<ParamSpaceJson>(`api/param-space${queryString({ ...runListQuery({ ...filters, brushes: [] }, sort), ...choice })}`, signal),
  editRun: (runId: string, edit: RunEdit) => send<EditedRunJson>('PATCH', runPath(runId), edit),
  deleteRun: (runId: string) => send<DeletedRunJson>('DELETE', runPath(runId)),
  misclassified: (runId: string, evaluationId: number, cell: { true: number; predicted: number }) =>
    getJson<MisclassifiedJson>(`${runPath(runId)}/evaluations/${evaluationId}/misclassified${queryString(cell)}`),
};
