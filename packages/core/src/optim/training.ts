/**
 * A run's optimizer: the entry a spec's `optimizer` section names, at its lr, with its schedule (and warm-up).
 * The loop gets one object and makes one call per step; the base lr is read once, here.
 */
import type * as tf from '@tensorflow/tfjs';
import { optimizerMemoryOf } from '../engine/capacity.ts';
import type { LearningRateFn, OptimizerMemorySpec, ScheduleContext } from '../plugin.ts';
import type { Registry } from '../registry.ts';
import { SPEC_DEFAULTS, type ExperimentSpec } from '../spec-schema.ts';
import { constantSchedule, withWarmup } from './schedules.ts';

export interface TrainingOptimizer {
  /** The tf.Optimizer a training step applies its gradients with (its weights are what checkpoints save). */
  readonly optimizer: tf.Optimizer;
  /** What it costs in memory, for the check before the first step (the entry's own report, or a safe guess). */
  readonly memory: OptimizerMemorySpec;
  /** Sets the learning rate of global step `step` (0-based: the schedule with its warm-up) and returns it. Call it before each step. */
  beginStep(step: number): number;
  /** Frees the optimizer's state (its slots are variables of their own). */
  dispose(): void;
}

/** How long the run is, for schedules that depend on it (per-epoch steps, cosine over all steps). */
export interface RunLength {
  stepsPerEpoch: number;
  /** epochs × steps per epoch. */
  totalSteps: number;
}

/**
 * The optimizer of a spec's `optimizer` section, made through the registry (the entry's `create` at
 * `optimizer.lr`, its options checked) together with its schedule (constant when none).
 */
export function createTrainingOptimizer(registry: Registry, optimizer: ExperimentSpec['optimizer'], run: RunLength): TrainingOptimizer {
  const context: ScheduleContext = { baseLr: optimizer.lr, stepsPerEpoch: run.stepsPerEpoch, totalSteps: run.totalSteps };
  const scheduled = registry.optimizer(optimizer.name).create(context.baseLr, (optimizer.options ?? {}) as Record<string, unknown>);
  const learningRate = scheduleOf(registry, optimizer.schedule, context);
  return {
    optimizer: scheduled.optimizer,
    memory: optimizerMemoryOf(scheduled),
    beginStep(step) {
      const lr = learningRate(step);
      scheduled.setLearningRate(lr);
      return lr;
    },
    dispose: () => scheduled.optimizer.dispose(),
  };
}

function scheduleOf(registry: Registry, schedule: ExperimentSpec['optimizer']['schedule'], context: ScheduleContext): LearningRateFn {
  if (!schedule) return constantSchedule(context);
  const fn = registry.schedule(schedule.name).create((schedule.options ?? {}) as Record<string, unknown>, context);
  return withWarmup(fn, schedule.warmupSteps ?? SPEC_DEFAULTS.warmupSteps);
}
