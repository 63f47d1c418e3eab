/**
 * The JSON bodies of the comparison's routes (`/api/compare`, `/api/param-space`), of editing a run and of an
 * evaluation's misclassified images: built by the server's routes, read by the page. Only types from the store.
 */
import type { Run } from '@vgglab/store';
import type { WireRunStatus } from './api-json.ts';

/** A metric of one run, summarised: latest, min and max (null when missing or not finite), the latest's step. */
export interface MetricSummaryJson {
  last: number | null;
  min: number | null;
  max: number | null;
  step: number;
}

/** `/api/compare?runs=…`: the runs in the order asked, with every param and every metric's summary. */
export interface CompareJson {
  runs: {
    id: string;
    name: string;
    status: WireRunStatus;
    starred: boolean;
    params: Record<string, string>;
    metrics: Record<string, MetricSummaryJson>;
  }[];
}

/** One run of `/api/param-space`: the params that vary (as stored; missing ones left out) and the metric's summary. */
export interface ParamSpaceRow {
  id: string;
  name: string;
  status: WireRunStatus;
  params: Record<string, string>;
  last: number | null;
  min: number | null;
  max: number | null;
}

/**
 * `/api/param-space`: the first `limit` runs of a filter (in its sort), the params that vary among them and those
 * that are the same in all (with the value), and one metric's summary per run: what parallel coordinates, param
 * importance and param menus read.
 */
export interface ParamSpaceJson {
  metric: string;
  total: number;
  limit: number;
  varying: string[];
  constant: { key: string; value: string }[];
  runs: ParamSpaceRow[];
}

/** PATCH `/api/runs/:runId`: the run as it now is. */
export interface EditedRunJson {
  run: Run;
}

/** DELETE `/api/runs/:runId`. */
export interface DeletedRunJson {
  deleted: string;
  /** Whether the run's folder of checkpoints (inside the runs folder) was removed too. */
  folderRemoved: boolean;
}

/**
 * `/api/runs/:runId/evaluations/:evaluationId/misclassified?true=i&predicted=j`: the validation images of one cell of
 * the confusion matrix that the evaluation recorded (true class i predicted as j), each with the URL of its image when
 * the dataset's files can be served.
 */
export interface MisclassifiedJson {
  evaluation: number;
  trueClass: string;
  predictedClass: string;
  /** Images of this cell the evaluation recorded (it may keep only the first few of a large cell). */
  items: { path: string; url: string | null }[];
  /** The cell's count in the confusion matrix. */
  count: number;
  /** Why no image can be shown, when none can (no recorded samples, a synthetic dataset, a missing root). */
  note: string | null;
}
