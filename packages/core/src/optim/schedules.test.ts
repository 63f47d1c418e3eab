import { describe, expect, it } from 'vitest';
import { createRegistry } from '../registry.ts';
import { validatePluginOptions } from '../spec-plugins.ts';
import { parseSpec } from '../spec.ts';
import { coreOptimizersPlugin } from './plugin.ts';
import type { TorchStyleOptimizer } from './torch-style.ts';
import { createTrainingOptimizer } from './training.ts';
import { constantSchedule, cosineSchedule, stepSchedule, withWarmup } from './schedules.ts';

const context = { baseLr: 0.1, stepsPerEpoch: 10, totalSteps: 100 };
const registry = createRegistry([coreOptimizersPlugin()]);

describe('schedules', () => {
  it('constant keeps the base lr', () => {
    const lr = constantSchedule(context);
    expect([0, 1, 99, 1000].map(lr)).toEqual([0.1, 0.1, 0.1, 0.1]);
  });

  it('step decays by gamma every stepSize epochs', () => {
    const lr = stepSchedule({ stepSize: 3, gamma: 0.5 }, context);
    // epoch = floor(step / 10); decays at epochs 3, 6, …
    expect([0, 29, 30, 59, 60, 95].map(lr)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
  });

  it('step counts steps with unit: step, and defaults gamma to 0.1', () => {
    const lr = stepSchedule({ stepSize: 5, unit: 'step' }, context);
    expect(lr(4)).toBe(0.1);
    expect(lr(5)).toBeCloseTo(0.01, 12);
    expect(lr(10)).toBeCloseTo(0.001, 12);
  });

  it('cosine goes from the base lr to minLr over totalSteps, then stays', () => {
    const lr = cosineSchedule({}, { ...context, baseLr: 1 });
    expect(lr(0)).toBe(1);
    expect(lr(25)).toBeCloseTo((1 + Math.SQRT1_2) / 2, 12); // cos(pi/4)
    expect(lr(50)).toBeCloseTo(0.5, 12);
    expect(lr(100)).toBeCloseTo(0, 12);
    expect(lr(150)).toBeCloseTo(0, 12);
    const floored = cosineSchedule({ minLr: 0.1 }, { ...context, baseLr: 1 });
    expect(floored(50)).toBeCloseTo(0.55, 12);
    expect(floored(100)).toBeCloseTo(0.1, 12);
  });

  it('warm-up ramps linearly to the schedule over warmupSteps, with no step at lr 0', () => {
    const lr = withWarmup(constantSchedule(context), 4);
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1].forEach((want, i) => expect(lr([0, 1, 2, 3, 4, 50][i]!)).toBeCloseTo(want, 15));
    const cosine = cosineSchedule({}, { ...context, baseLr: 1 });
    const warmed = withWarmup(cosine, 10);
    expect(warmed(4)).toBeCloseTo((cosine(4) * 5) / 10, 12);
    expect(warmed(10)).toBe(cosine(10));
    expect(withWarmup(cosine, 0)).toBe(cosine);
  });

  it('refuses contexts and options it cannot honour', () => {
    expect(() => cosineSchedule({}, { ...context, totalSteps: 0 })).toThrow('a cosine schedule needs totalSteps >= 1, received 0');
    expect(() => cosineSchedule({ minLr: 1 }, context)).toThrow('minLr (1) must not exceed the base lr (0.1)');
    expect(() => stepSchedule({ stepSize: 2 }, { ...context, stepsPerEpoch: 0 })).toThrow(
      'a step schedule in epochs needs stepsPerEpoch >= 1, received 0',
    );
    expect(() => withWarmup(constantSchedule(context), -1)).toThrow('warmupSteps must be an integer >= 0, received -1');
    expect(() => registry.schedule('step').create({}, context)).toThrow("schedule 'step': options.stepSize is required (an integer >= 1)");
  });
});

describe('from a spec', () => {
  const spec = (optimizer: string) => `name: s
model: { name: m }
data: { name: d }
optimizer:
${optimizer}
train: { epochs: 10 }
`;

  it('makes the optimizer and the schedule with warm-up that the spec names', () => {
    const loaded = validatePluginOptions(
      parseSpec(spec('  name: sgd\n  lr: 0.1\n  options: { momentum: 0.9 }\n  schedule: { name: step, warmupSteps: 2, options: { stepSize: 3 } }'), 's.yaml'),
      createRegistry([coreOptimizersPlugin(), { name: 'stub', models: { m: {} as never }, datasets: { d: {} as never } }]),
    );
    expect(loaded.spec.optimizer.options).toEqual({ momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 });
    expect(loaded.spec.optimizer.schedule!.options).toEqual({ stepSize: 3, unit: 'epoch', gamma: 0.1 });
    const opt = createTrainingOptimizer(registry, loaded.spec.optimizer, { stepsPerEpoch: 10, totalSteps: 100 });
    const learningRate = () => (opt.optimizer as TorchStyleOptimizer).getLearningRate();
    expect(learningRate()).toBe(0.1);
    // and says what it costs in memory, for the check before the first step
    expect(opt.memory).toMatchObject({ name: 'sgd (momentum)', slotsPerWeight: 1, updateTemporaries: 'per-variable' });
    // Each step's lr is set on the optimizer and returned to the loop.
    const lr = (step: number) => {
      const given = opt.beginStep(step);
      expect(learningRate()).toBe(given);
      return given;
    };
    expect(lr(0)).toBe(0.05);
    expect(lr(1)).toBe(0.1);
    expect(lr(29)).toBe(0.1);
    expect(lr(30)).toBeCloseTo(0.01, 12);
    opt.dispose();
  });

  it('is constant at the base lr without a schedule', () => {
    const loaded = parseSpec(spec('  name: adam\n  lr: 0.001'), 's.yaml');
    const opt = createTrainingOptimizer(registry, loaded.spec.optimizer, { stepsPerEpoch: 10, totalSteps: 100 });
    expect([0, 50, 99].map((step) => opt.beginStep(step))).toEqual([0.001, 0.001, 0.001]);
  });

  it('reports schedule options against their schema at their position in the file', () => {
    const loaded = parseSpec(spec('  name: adam\n  lr: 0.001\n  schedule:\n    name: step\n    options: { stepsize: 3 }'), 's.yaml');
    const withStubs = createRegistry([coreOptimizersPlugin(), { name: 'stub', models: { m: {} as never }, datasets: { d: {} as never } }]);
    expect(() => validatePluginOptions(loaded, withStubs)).toThrow(
      "s.yaml:9:5 optimizer.schedule.options.stepSize is required (an integer >= 1)\ns.yaml:9:16 optimizer.schedule.options.stepsize is not a known field; did you mean 'stepSize'?",
    );
  });
});
