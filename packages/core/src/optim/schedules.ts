/**
 * Learning-rate schedules: functions from the global step (0-based) to a learning rate, made from options
 * and a ScheduleContext. Warm-up is applied on top of any schedule (`withWarmup`), so plugin schedules get it
 * too: during the first `warmupSteps` steps the schedule's value is scaled by (step + 1) / warmupSteps, a
 * linear ramp that reaches the schedule's own value at step warmupSteps − 1 (as detectron2's warm-up factor;
 * no step is taken at lr 0).
 */
import type { LearningRateFn, ScheduleContext } from '../plugin.ts';
import { COSINE_SCHEDULE_DEFAULTS, STEP_SCHEDULE_DEFAULTS } from './defaults.ts';
import type { CosineScheduleOptions, StepScheduleOptions } from './schemas.ts';

/** lr(step) = baseLr. */
export function constantSchedule(context: ScheduleContext): LearningRateFn {
  return () => context.baseLr;
}

/** lr(step) = baseLr · γ^⌊u / stepSize⌋ with u the epoch (⌊step / stepsPerEpoch⌋) or the step. */
export function stepSchedule(options: StepScheduleOptions, context: ScheduleContext): LearningRateFn {
  const { stepSize, unit, gamma } = { ...STEP_SCHEDULE_DEFAULTS, ...options };
  if (!(Number.isInteger(stepSize) && stepSize >= 1)) throw new RangeError(`stepSize must be an integer >= 1, received ${stepSize}`);
  if (unit === 'epoch' && !(context.stepsPerEpoch >= 1)) {
    throw new RangeError(`a step schedule in epochs needs stepsPerEpoch >= 1, received ${context.stepsPerEpoch}`);
  }
  return (step) => {
    const u = unit === 'epoch' ? Math.floor(step / context.stepsPerEpoch) : step;
    return context.baseLr * gamma ** Math.floor(u / stepSize);
  };
}

/**
 * lr(step) = minLr + (baseLr − minLr) · (1 + cos(π · step / totalSteps)) / 2, held at minLr after totalSteps
 * (torch's CosineAnnealingLR with T_max = totalSteps, eta_min = minLr, stepped per step).
 */
export function cosineSchedule(options: CosineScheduleOptions, context: ScheduleContext): LearningRateFn {
  const { minLr } = { ...COSINE_SCHEDULE_DEFAULTS, ...options };
  const { baseLr, totalSteps } = context;
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) throw new RangeError(`a cosine schedule needs totalSteps >= 1, received ${totalSteps}`);
  if (minLr > baseLr) throw new RangeError(`minLr (${minLr}) must not exceed the base lr (${baseLr})`);
  return (step) => minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps))) / 2;
}

/** Scales the first `warmupSteps` values of `schedule` by (step + 1) / warmupSteps. */
export function withWarmup(schedule: LearningRateFn, warmupSteps: number): LearningRateFn {
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0)) throw new RangeError(`warmupSteps must be an integer >= 0, received ${warmupSteps}`);
  if (warmupSteps === 0) return schedule;
  return (step) => (step < warmupSteps ? (schedule(step) * (step + 1)) / warmupSteps : schedule(step));
}
