/**
 * The JSON bodies the server sends and the page reads: one definition each, imported by both sides (the server's
 * routes build them, src/web/api.ts parses them). The series of /api/metrics have their own files here
 * (binary-series.ts, compact-series.ts). Only types from the store: this folder is bundled into the page.
 */
import type { Artifact, Evaluation, RunDetails, RunStatus } from '@vgglab/store';

/**
 * A run's status as the wire carries it: one of the store's statuses, or one this page does not know yet (a newer
 * store); the page shows an unknown status as it is, with a neutral style.
 */
export type WireRunStatus = RunStatus | (string & {});

/** A metric point as the live stream sends it (built by the server's live.ts `pointJson`). */
export interface LivePoint {
  runId: string;
  key: string;
  step: number;
  epoch: number | null;
  timestamp: number;
  /** null for NaN and ±Inf (JSON has no such numbers); `nonFinite` then says which. */
  value: number | null;
  nonFinite?: 'NaN' | 'Infinity' | '-Infinity';
}

/** A run that started or stopped, as the live stream's `runs` event lists it. */
export interface RunStatusChange {
  id: string;
  status: WireRunStatus;
  endTime: number | null;
}

/** `/api/param-metric`'s row: one run, the params as stored (strings), the metric's latest/min/max. */
export interface ParamMetricRow {
  id: string;
  name: string;
  status: WireRunStatus;
  x: string | null;
  color: string | null;
  last: number | null;
  min: number | null;
  max: number | null;
}

/** `/api/param-metric`: one row per run of a filter (at most `limit`, of `total`). */
export interface ParamMetricJson {
  x: string;
  y: string;
  color: string | null;
  total: number;
  limit: number;
  runs: ParamMetricRow[];
}

/** `/api/runs/:runId`: the run with the files of each artifact that may be downloaded. */
export interface RunDetailsJson extends RunDetails {
  artifacts: (Artifact & { files: string[] })[];
}

/** `/api/runs/:runId/confusion-matrix`. */
export interface ConfusionJson extends Evaluation {
  perClassAccuracy: (number | null)[];
  evaluations: { id: number; dataset: string; createdAt: number }[];
}

/** `/api/params`: params that differ between runs. */
export interface ParamsDiff {
  runs: { id: string; name: string }[];
  params: { key: string; values: (string | null)[] }[];
}

/** `/api/facets`: the store's facets as they are. */
export type { FacetValue, RunFacets as Facets } from '@vgglab/store';

/** One class of a prediction (`/api/runs/:runId/predict`). */
export interface Prediction {
  label: string;
  probability: number;
}

/** `/api/health`. `dbFile` only for a client on this machine (a remote client learns no file-system path). */
export interface HealthJson {
  ok: true;
  dbFile?: string;
  schemaVersion: number;
  predict: boolean;
  /** Whether every request needs the token (the server listens beyond this machine). */
  auth: boolean;
  /** Whether the page may edit runs (a loopback server, or one with a token). */
  edits: boolean;
}

/** `/api/queue`: the queue per sweep (waiting / running with its worker / failed with its error); `enabled` is false
 * when the server has no queue. Defined by @vgglab/queue, which builds it. */
export type { QueueJob as QueueJobJson, QueueOverview as QueueOverviewJson, QueueSweep as QueueSweepJson } from '@vgglab/queue';
