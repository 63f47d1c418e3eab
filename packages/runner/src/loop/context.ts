/**
 * What the parts of the training loop share: the options a run is started with, its settings (the spec's
 * train fields with the schema's defaults), its parts (data, model, optimizer, store queue) and its state.
 */
import type * as tf from '@tensorflow/tfjs';
import { ABSENT_FIELD_DEFAULTS, SPEC_DEFAULTS, type DatasetSource, type ExperimentSpec, type Registry, type SeededRandom, type TrainingOptimizer } from '@vgglab/core';
import type { MetricQueue, RunWriter, TrackingClient } from '@vgglab/store';
import type { CheckpointState } from './checkpoint.ts';
import type { Progress } from './progress.ts';
import type { RunEntries } from './setup.ts';
import type { SystemSampler } from './system-metrics.ts';

/** Set by the SIGINT handler; the loop checks it between steps. */
export interface StopFlag {
  requested: boolean;
}

export interface RunExperimentOptions {
  /** The resolved spec (validated, defaults applied). */
  spec: ExperimentSpec;
  /** The spec file as written, stored with the run. */
  specText?: string | null;
  /** Folder relative paths in the spec resolve against (the spec file's folder). */
  specDir: string;
  specHash: string;
  registry: Registry;
  /** Where the run is written: the SQLite store, or the tracking server's client (tracking/target.ts). */
  store: RunWriter;
  /** The tracking server's client when the run logs there: each checkpoint is uploaded once written (replacing the
   * previous one of its kind), and a resume downloads the last one. */
  remote?: Pick<TrackingClient, 'uploadFolder' | 'downloadFolder'> | null;
  /** This machine's folder of the run's files (checkpoints). */
  runsDir: string;
  /** Continue this run (its `last` checkpoint) instead of starting a new one. */
  resumeRunId?: string;
  sweepValues?: Record<string, unknown> | null;
  /** Tags stored with a new run besides the spec's own (e.g. where the spec file is). */
  extraTags?: Record<string, string>;
  /** Human name of a new run (a sweep point's label); the store's default otherwise. */
  runName?: string;
  /** Where the engine ran: printed once by the caller, stored with the run. */
  backend: string;
  progress: Progress;
  stop?: StopFlag;
  /** Called with the run id as soon as the run exists (sweeps and tests use it). */
  onRunCreated?(runId: string): void;
  /** Called after each epoch's checkpoints are written (tests check the tensor count here; a worker's job reports
   * its progress). */
  onEpochEnd?(epoch: number, metrics: Record<string, number>, state: { globalStep: number }): void;
  /** The command line that started a new run (its words) and the `-o` overrides applied, stored with it. */
  command?: string[];
  overrides?: string[];
  /**
   * Called when training ended normally (not stopped) and `train.evaluate` is on, before the run is marked
   * finished, with the run's model, its data and its best checkpoint: the caller evaluates it (exp does, through
   * inference/). A failure is reported and leaves the run finished.
   */
  onTrained?(trained: TrainedRun): Promise<void>;
}

/** What `onTrained` is given: the run's own model (its weights may be replaced) and data, still open. */
export interface TrainedRun {
  runId: string;
  model: tf.LayersModel;
  data: DatasetSource;
  classNames: string[];
  probabilities: boolean;
  /** The best checkpoint's folder. */
  bestCheckpoint: string;
  batchSize: number;
  store: RunWriter;
  progress: Progress;
}

export interface RunResult {
  runId: string;
  status: 'finished' | 'killed';
  epochsCompleted: number;
  globalStep: number;
  best: { metric: string; value: number | null; epoch: number | null };
  lastMetrics: Record<string, number>;
}

/** The spec's fields the loop reads, with the schema's defaults for a spec object that was not resolved. */
export interface LoopSettings {
  seed: number;
  epochs: number;
  batchSize: number;
  prefetch: number;
  logEvery: number;
  monitor: string;
  mode: 'max' | 'min';
  minDelta: number;
  patience: number | undefined;
  maxStepsPerEpoch: number;
  /** Evaluate the best checkpoint when training ends. */
  evaluate: boolean;
  /** Seconds between system-metric samples; 0: none. */
  systemMetricsSeconds: number;
}

export function loopSettings(spec: ExperimentSpec): LoopSettings {
  const train = spec.train;
  return {
    seed: spec.seed ?? SPEC_DEFAULTS.seed,
    epochs: train.epochs,
    batchSize: spec.data.batchSize ?? SPEC_DEFAULTS.batchSize,
    prefetch: spec.data.prefetch ?? SPEC_DEFAULTS.prefetch,
    logEvery: train.logEverySteps ?? SPEC_DEFAULTS.logEverySteps,
    monitor: train.monitor ?? SPEC_DEFAULTS.monitor,
    mode: train.mode ?? SPEC_DEFAULTS.mode,
    minDelta: train.earlyStopping?.minDelta ?? SPEC_DEFAULTS.minDelta,
    patience: train.earlyStopping?.patience,
    maxStepsPerEpoch: train.maxStepsPerEpoch ?? Infinity,
    evaluate: train.evaluate ?? ABSENT_FIELD_DEFAULTS.evaluate,
    systemMetricsSeconds: train.systemMetricsSeconds ?? ABSENT_FIELD_DEFAULTS.systemMetricsSeconds,
  };
}

/** Where the run is: what a checkpoint records and a resume restores. */
export type LoopState = Pick<CheckpointState, 'epoch' | 'stepInEpoch' | 'globalStep' | 'best' | 'epochProgress'>;

/** The parts opened before the run row exists: a run that cannot open them (or fit) is never created. */
export interface RunParts {
  entries: RunEntries;
  data: DatasetSource;
  model: tf.LayersModel;
  optimizer: TrainingOptimizer;
  /** The model ends in a softmax: the loss takes probabilities. */
  probabilities: boolean;
  classNames: string[];
  trainSize: number;
  valSize: number;
  stepsPerEpoch: number;
}

/** A run in progress: its options and settings, its parts, its row in the store and where it is. */
export interface RunContext extends RunParts {
  opts: RunExperimentOptions;
  settings: LoopSettings;
  /** The run's random stream (installed as Math.random); its state goes into every checkpoint. */
  rng: SeededRandom;
  runId: string;
  queue: MetricQueue;
  state: LoopState;
  /** Samples CPU, memory and throughput into the queue (`sys/*`). */
  sampler: SystemSampler;
}
