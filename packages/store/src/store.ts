/**
 * Opening a run store. `openStore` gives every side (RunStore: reader, writer, maintenance); `openRunReader` only
 * the reader, which has no write method at all: what the dashboard and read-only commands take.
 */
import { logArtifact } from './artifacts/artifacts.ts';
import { logEvaluation } from './artifacts/evaluations.ts';
import type { RunReader, RunStore } from './interfaces.ts';
import { editRun } from './runs/edit.ts';
import { openConnection } from './open/open.ts';
import { SqliteRunReader } from './queries/reader.ts';
import { createExperiment } from './runs/experiments.ts';
import { gcRuns } from './runs/gc.ts';
import { createRun, deleteMetricsAfter, deleteRun, heartbeat, resumeRun, setRunStatus } from './runs/lifecycle.ts';
import type {
  Artifact,
  Evaluation,
  Experiment,
  GcOptions,
  GcResult,
  LogArtifactOptions,
  LogBatchInput,
  MetricInput,
  NewArtifact,
  NewEvaluation,
  NewRun,
  OpenStoreOptions,
  ResumedRun,
  ResumeOptions,
  Run,
  RunEdit,
  SetStatusOptions,
  StoredRunStatus,
  WriteFence,
} from './types.ts';
import { logBatch } from './write/log-batch.ts';

/**
 * Opens the run store at `file` for writing (creating the file and its parent folders, WAL mode, the schema
 * migrated under BEGIN IMMEDIATE so two processes opening a new file at once both succeed). A file that is another
 * application's database, or that this user may not write, is refused with its name and left untouched. With
 * `{ readonly: true }` nothing is created or migrated and writes throw READONLY; prefer `openRunReader`.
 */
export function openStore(file: string, options: OpenStoreOptions = {}): RunStore {
  return new SqliteRunStore(openConnection(file, options));
}

/**
 * Opens an existing run store read-only, typed as the read side only. The file must exist, be a vgglab store and be
 * at the current schema (StoreError NOT_FOUND / INVALID / SCHEMA / PERMISSION otherwise, naming the file); nothing
 * is created, migrated or switched to WAL.
 */
export function openRunReader(file: string, options: Omit<OpenStoreOptions, 'readonly'> = {}): RunReader {
  return new SqliteRunReader(openConnection(file, { ...options, readonly: true }));
}

class SqliteRunStore extends SqliteRunReader implements RunStore {
  createExperiment(name: string): Experiment {
    return createExperiment(this.c, name);
  }

  createRun(input: NewRun): Run {
    return createRun(this.c, input);
  }

  setRunStatus(runId: string, status: StoredRunStatus, options: SetStatusOptions = {}): void {
    setRunStatus(this.c, runId, status, options);
  }

  heartbeat(runId: string, pid?: number, fence?: WriteFence): void {
    heartbeat(this.c, runId, pid, fence);
  }

  resumeRun(runId: string, options: ResumeOptions): ResumedRun {
    return resumeRun(this.c, runId, options);
  }

  deleteMetricsAfter(runId: string, step: number, fence?: WriteFence): number {
    return deleteMetricsAfter(this.c, runId, step, fence);
  }

  logBatch(runId: string, batch: LogBatchInput, fence?: WriteFence): void {
    logBatch(this.c, runId, batch, fence);
  }

  logMetric(runId: string, metric: MetricInput): void {
    logBatch(this.c, runId, { metrics: [metric] });
  }

  logParam(runId: string, key: string, value: string): void {
    logBatch(this.c, runId, { params: [{ key, value }] });
  }

  setTag(runId: string, key: string, value: string): void {
    logBatch(this.c, runId, { tags: [{ key, value }] });
  }

  logArtifact(runId: string, artifact: NewArtifact, options: LogArtifactOptions = {}): Artifact {
    return logArtifact(this.c, runId, artifact, options);
  }

  logEvaluation(runId: string, evaluation: NewEvaluation): Evaluation {
    return logEvaluation(this.c, runId, evaluation);
  }

  gcRuns(options: GcOptions = {}): GcResult {
    return gcRuns(this.c, options);
  }

  deleteRun(runId: string): void {
    deleteRun(this.c, runId);
  }

  editRun(runId: string, edit: RunEdit): Run {
    return editRun(this.c, runId, edit);
  }
}
