/** Row shapes as SQLite returns them, and their conversion to the public types. */
import { SHOWN_END_TIME_SQL, SHOWN_STATUS_SQL } from '../runs/liveness.ts';
import type { Artifact, Evaluation, LatestMetric, MisclassifiedSamples, Run, RunStatus } from '../types.ts';

export interface RunRow {
  pk: number;
  id: string;
  experiment_id: number;
  experiment_name: string;
  name: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  heartbeat_at: number;
  spec_text: string | null;
  resolved_spec: string;
  spec_hash: string;
  seed: number | null;
  git_commit: string | null;
  package_versions: string;
  backend: string | null;
  host: string;
  pid: number | null;
  sweep_values: string | null;
  note: string;
  starred: number;
  command: string | null;
  overrides: string | null;
  attempt: number;
}

/** Columns of RunRow, for SELECTs that join experiments as `e` and runs as `r`. Status and end time are the ones the
 * run shows: a `running` run whose process is gone reads as `crashed`, ended at its last heartbeat. */
export const RUN_COLUMNS = `r.pk, r.id, r.experiment_id, e.name AS experiment_name, r.name, ${SHOWN_STATUS_SQL} AS status,
  r.start_time, ${SHOWN_END_TIME_SQL} AS end_time, r.heartbeat_at, r.spec_text, r.resolved_spec, r.spec_hash, r.seed,
  r.git_commit, r.package_versions, r.backend, r.host, r.pid, r.sweep_values, r.note, r.starred, r.command, r.overrides, r.attempt`;

/** Like RUN_COLUMNS without the spec texts (the run list never needs them). */
export const RUN_SUMMARY_COLUMNS = `r.pk, r.id, r.experiment_id, e.name AS experiment_name, r.name, ${SHOWN_STATUS_SQL} AS status,
  r.start_time, ${SHOWN_END_TIME_SQL} AS end_time, r.heartbeat_at, NULL AS spec_text, 'null' AS resolved_spec, r.spec_hash,
  r.seed, r.git_commit, r.package_versions, r.backend, r.host, r.pid, r.sweep_values, r.note, r.starred, r.command, r.overrides, r.attempt`;

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    experimentId: row.experiment_id,
    experimentName: row.experiment_name,
    name: row.name,
    status: row.status,
    startTime: row.start_time,
    endTime: row.end_time,
    heartbeatAt: row.heartbeat_at,
    specText: row.spec_text,
    resolvedSpec: JSON.parse(row.resolved_spec),
    specHash: row.spec_hash,
    seed: row.seed,
    gitCommit: row.git_commit,
    packageVersions: JSON.parse(row.package_versions) as Record<string, string>,
    backend: row.backend,
    host: row.host,
    pid: row.pid,
    sweepValues: row.sweep_values === null ? null : (JSON.parse(row.sweep_values) as Record<string, unknown>),
    note: row.note,
    starred: row.starred !== 0,
    command: row.command === null ? null : (JSON.parse(row.command) as string[]),
    overrides: row.overrides === null ? [] : (JSON.parse(row.overrides) as string[]),
    attempt: row.attempt,
  };
}

export function durationOf(row: { start_time: number; end_time: number | null }, now: number): number {
  return Math.max(0, (row.end_time ?? now) - row.start_time);
}

/** NaN is stored as NULL. */
export function toDb(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

export function fromDb(value: number | null): number {
  return value === null ? Number.NaN : value;
}

export interface SeriesRow {
  id: number;
  run_pk: number;
  key: string;
  value: number | null;
  step: number;
  epoch: number | null;
  timestamp: number;
  min: number | null;
  min_step: number | null;
  max: number | null;
  max_step: number | null;
  count: number;
}

export function toLatest(row: SeriesRow): LatestMetric {
  return {
    key: row.key,
    value: fromDb(row.value),
    step: row.step,
    epoch: row.epoch,
    timestamp: row.timestamp,
    min: row.min,
    minStep: row.min_step,
    max: row.max,
    maxStep: row.max_step,
    count: row.count,
  };
}

export interface ArtifactRow {
  id: number;
  run_id: string;
  kind: string;
  path: string;
  step: number | null;
  epoch: number | null;
  metadata: string | null;
  sha256: string | null;
  bytes: number | null;
  created_at: number;
  updated_at: number;
}

export function toArtifact(row: ArtifactRow): Artifact {
  return {
    id: row.id,
    runId: row.run_id,
    kind: row.kind,
    path: row.path,
    step: row.step,
    epoch: row.epoch,
    metadata: row.metadata === null ? null : JSON.parse(row.metadata),
    sha256: row.sha256,
    bytes: row.bytes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface EvaluationRow {
  id: number;
  run_id: string;
  created_at: number;
  dataset: string;
  checkpoint: string | null;
  step: number | null;
  epoch: number | null;
  accuracy: number;
  class_names: string;
  per_class: string;
  confusion_matrix: string;
  extra: string;
}

export function toEvaluation(row: EvaluationRow): Evaluation {
  return {
    id: row.id,
    runId: row.run_id,
    createdAt: row.created_at,
    dataset: row.dataset,
    checkpoint: row.checkpoint,
    step: row.step,
    epoch: row.epoch,
    accuracy: row.accuracy,
    classNames: JSON.parse(row.class_names) as string[],
    perClass: JSON.parse(row.per_class) as Evaluation['perClass'],
    confusionMatrix: JSON.parse(row.confusion_matrix) as number[][],
    ...evaluationExtra(row.extra),
  };
}

/** `extra` as stored holds the misclassified samples under `misclassified` (no column of their own). */
function evaluationExtra(json: string): Pick<Evaluation, 'extra' | 'misclassified'> {
  const { misclassified = null, ...extra } = JSON.parse(json) as Record<string, unknown>;
  return { extra, misclassified: misclassified as MisclassifiedSamples | null };
}
