import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ScheduledOptimizer } from '../plugin.ts';
import { createRegistry } from '../registry.ts';
import { coreOptimizersPlugin } from './plugin.ts';
import { TorchAdam, TorchRmsprop, TorchSgd } from './optimizers.ts';
import type { TorchStyleOptimizer } from './torch-style.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const registry = createRegistry([coreOptimizersPlugin()]);
const create = (name: string, lr: number, options: Record<string, unknown> = {}) =>
  registry.optimizer(name).create(lr, options) as ScheduledOptimizer & TorchStyleOptimizer;

/** Applies `grads` (one per step) to a fresh variable holding `p0`; returns the values after each step. */
function run(opt: ScheduledOptimizer, p0: number[] | number[][], grads: (number[] | number[][])[], lrs?: number[]): number[][] {
  const v = tf.variable(tf.tensor(p0), true);
  const out: number[][] = [];
  grads.forEach((g, t) => {
    if (lrs) opt.setLearningRate(lrs[t]!);
    const grad = tf.tensor(g);
    opt.optimizer.applyGradients({ [v.name]: grad });
    grad.dispose();
    out.push(Array.from(v.dataSync()));
  });
  v.dispose();
  return out;
}

const close = (actual: number[], expected: number[], digits = 6) =>
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, digits));

describe('updates worked out by hand from the PyTorch formulas', () => {
  it('sgd: p - lr*g', () => {
    const [p1] = run(create('sgd', 0.1), [1, -2], [[0.5, 0.25]]);
    close(p1!, [1 - 0.1 * 0.5, -2 - 0.1 * 0.25]); // 0.95, -2.025
  });

  it('sgd momentum: the buffer starts as the first gradient (no dampening), then b = mu*b + (1-dampening)*g', () => {
    const steps = run(create('sgd', 0.1, { momentum: 0.9, dampening: 0.5 }), [1], [[0.5], [0.5]]);
    close(steps[0]!, [0.95]); // b = 0.5; p = 1 - 0.1*0.5
    close(steps[1]!, [0.88]); // b = 0.9*0.5 + 0.5*0.5 = 0.7; p = 0.95 - 0.07
  });

  it('sgd nesterov: g + mu*b', () => {
    const steps = run(create('sgd', 0.1, { momentum: 0.9, nesterov: true }), [1], [[0.5], [0.5]]);
    close(steps[0]!, [0.905]); // b = 0.5; g' = 0.5 + 0.45 = 0.95; p = 1 - 0.095
    close(steps[1]!, [0.7695]); // b = 0.45 + 0.5 = 0.95; g' = 0.5 + 0.855 = 1.355; p = 0.905 - 0.1355
  });

  it('sgd weight decay adds lambda*p to the gradient', () => {
    const [p1] = run(create('sgd', 0.1, { weightDecay: 0.1 }), [1, -3], [[0.5, 0]]);
    close(p1!, [1 - 0.1 * (0.5 + 0.1), -3 - 0.1 * (0 + 0.1 * -3)]); // 0.94, -2.97
  });

  it('adam: the first step moves each weight by lr*g/(|g|+eps)', () => {
    // m = 0.1g, v = 0.001g^2; bias corrections 0.1 and 0.001: step = lr * g / (|g| + eps).
    const [p1] = run(create('adam', 0.1), [1, 1, 1], [[0.5, -2, 1e-8]]);
    close(p1!, [0.9, 1.1, 1 - 0.1 * 0.5]); // a gradient equal to eps moves half a step
  });

  it('adam: two steps with a changing gradient', () => {
    // t=1: m = 0.1, v = 0.001 -> p = 1 - 0.01 * (0.1/0.1) / (sqrt(0.001/0.001)) = 0.99
    // t=2 (g = -1): m = 0.09 - 0.1 = -0.01; v = 0.000999 + 0.001 = 0.001999
    //   m_hat = -0.01 / 0.19; v_hat = 0.001999 / 0.001999 = 1 -> p = 0.99 + 0.01 * 0.0526315789 = 0.990526316
    const steps = run(create('adam', 0.01), [1], [[1], [-1]]);
    close(steps[0]!, [0.99]);
    close(steps[1]!, [0.99 + 0.01 * (0.01 / 0.19)]);
  });

  it('adam L2 decay goes through the moments; adamw decays the weight directly', () => {
    // p = 1, g = 0.5, lr = 0.1, lambda = 0.1. Adam: g' = 0.6, first step = lr*sign -> 0.9.
    // AdamW: p = 1*(1 - 0.01) = 0.99, then the plain Adam step -> 0.89.
    close(run(create('adam', 0.1, { weightDecay: 0.1 }), [1], [[0.5]])[0]!, [0.9]);
    close(run(create('adamw', 0.1, { weightDecay: 0.1 }), [1], [[0.5]])[0]!, [0.89]);
    // adamw's default decay is torch's 0.01: p = 0.999 - 0.1
    close(run(create('adamw', 0.1), [1], [[0.5]])[0]!, [0.899]);
  });

  it('adam amsgrad divides by the running maximum of v', () => {
    // t=1, g=1: m=0.1, v=vmax=0.001 -> p = 1 - 0.01 = 0.99.
    // t=2, g=0.1: m = 0.09 + 0.01 = 0.1; v = 0.000999 + 0.00001 = 0.001009 (> vmax) -> vmax = 0.001009
    // t=3, g=0: m = 0.09; v = 0.001007991 < vmax -> denom uses vmax 0.001009
    const b2 = 0.999;
    const steps = run(create('adam', 0.01, { amsgrad: true }), [1], [[1], [0.1], [0]]);
    const p2 = 0.99 - (0.01 / (1 - 0.9 ** 2)) * (0.1 / (Math.sqrt(0.001009) / Math.sqrt(1 - b2 ** 2)));
    const p3 = p2 - (0.01 / (1 - 0.9 ** 3)) * (0.09 / (Math.sqrt(0.001009) / Math.sqrt(1 - b2 ** 3)));
    close(steps[1]!, [p2]);
    close(steps[2]!, [p3]);
  });

  it('rmsprop: the first step is lr*g/(sqrt(0.01)*|g|) = 10*lr*sign(g)', () => {
    const [p1] = run(create('rmsprop', 0.01), [1, 1], [[0.5, -4]]);
    close(p1!, [0.9, 1.1]);
  });

  it('rmsprop centered divides by sqrt(s - a^2) + eps', () => {
    // s = 0.01*0.25 = 0.0025, a = 0.01*0.5 = 0.005; sqrt(0.0025 - 0.000025) = 0.0497493719
    const [p1] = run(create('rmsprop', 0.01, { centered: true }), [1], [[0.5]]);
    close(p1!, [1 - (0.01 * 0.5) / Math.sqrt(0.002475)]);
  });

  it('rmsprop momentum: b = mu*b + g/avg from zero, p -= lr*b', () => {
    // step 1: avg = 0.1*0.5 -> g/avg = 10 -> b = 10 -> p = 1 - 0.1 = 0.9
    // step 2: s = 0.99*0.0025 + 0.0025 = 0.004975; g/avg = 0.5/sqrt(0.004975); b = 9 + that
    const steps = run(create('rmsprop', 0.01, { momentum: 0.9 }), [1], [[0.5], [0.5]]);
    close(steps[0]!, [0.9]);
    close(steps[1]!, [0.9 - 0.01 * (9 + 0.5 / Math.sqrt(0.004975))], 5);
  });
});

describe('parity with torch.optim (fixture made by fixtures/torch_optim_reference.py)', () => {
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/torch-optim-reference.json', import.meta.url), 'utf8')) as {
    p0: number[][];
    grads: number[][][];
    cases: { optimizer: string; options: Record<string, unknown>; lrs: number[]; params: number[][][] }[];
  };
  for (const c of fixture.cases) {
    it(`${c.optimizer} ${JSON.stringify(c.options)} matches PyTorch for ${c.lrs.length} steps with a changing lr`, () => {
      const got = run(create(c.optimizer, c.lrs[0]!, c.options), fixture.p0, fixture.grads, c.lrs);
      got.forEach((values, t) => {
        const expected = c.params[t]!.flat();
        values.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(expected[i]!))));
      });
    });
  }
});

describe('optimizer state: getWeights/setWeights', () => {
  const configs: [string, Record<string, unknown>][] = [
    ['sgd', { momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
    ['adam', { amsgrad: true, weightDecay: 0.01 }],
    ['adamw', {}],
    ['rmsprop', { centered: true, momentum: 0.5 }],
  ];
  const grads = [0, 1, 2, 3, 4, 5].map((t) => [
    [0.3 - 0.1 * t, 0.2 * t],
    [1 - 0.3 * t, -0.5],
  ]);
  const grads2 = grads.map((g) => [g[0]!.map((x) => -x), g[1]!.map((x) => x * 0.5)]);

  for (const [name, options] of configs) {
    it(`${name}: 3 steps, save, restore into a new optimizer and new variables, 3 more steps = 6 uninterrupted steps`, async () => {
      // Two variables so that state must land on the right one.
      const straight = twoVariableRun(create(name, 0.01, options), grads, grads2);

      const first = create(name, 0.01, options);
      const a = twoVariableRun(first, grads.slice(0, 3), grads2.slice(0, 3));
      const saved = await first.getWeights();
      expect(saved[0]!.name).toBe('iter');
      expect(saved[0]!.tensor.dataSync()[0]).toBe(3);
      // Copy as a checkpoint file would, then drop everything of the first run.
      const copies = saved.map((w) => ({ name: w.name, tensor: tf.tensor(w.tensor.dataSync(), w.tensor.shape, w.tensor.dtype) }));
      tf.dispose(saved.map((w) => w.tensor));
      first.dispose();

      const second = create(name, 0.01, options);
      await second.setWeights(copies);
      tf.dispose(copies.map((w) => w.tensor));
      expect(second.iterations).toBe(3);
      // The resumed run's variables have other names (a new model in the same process): bound by order.
      const b = twoVariableRun(second, grads.slice(3), grads2.slice(3), a.final);
      expect(b.history).toEqual(straight.history.slice(3));
      second.dispose();
    });
  }

  it('names the state by variable and slot, and binds it by name when the names match', async () => {
    const opt = create('adam', 0.01);
    const v = tf.variable(tf.tensor([1, 2]), true, 'layer/kernel_state_test');
    opt.applyGradients({ [v.name]: tf.tensor([0.1, 0.2]) });
    const saved = await opt.getWeights();
    expect(saved.map((w) => w.name)).toEqual(['iter', 'layer/kernel_state_test/step', 'layer/kernel_state_test/m', 'layer/kernel_state_test/v']);
    const resumed = create('adam', 0.01);
    await resumed.setWeights(saved);
    // Saving again before any step keeps the restored state.
    expect((await resumed.getWeights()).map((w) => w.name)).toEqual(saved.map((w) => w.name));
    const other = tf.variable(tf.tensor([5, 5, 5]), true, 'other_var_state_test');
    // A step on another variable as well as this one: the saved state goes to its own name.
    resumed.applyGradients({ [other.name]: tf.tensor([1, 1, 1]), [v.name]: tf.tensor([0.1, 0.2]) });
    const after = await resumed.getWeights();
    expect(after.find((w) => w.name === 'layer/kernel_state_test/step')!.tensor.dataSync()[0]).toBe(2);
    expect(after.find((w) => w.name === 'other_var_state_test/step')!.tensor.dataSync()[0]).toBe(1);
    tf.dispose([v, other, ...saved.map((w) => w.tensor), ...after.map((w) => w.tensor)]);
    opt.dispose();
    resumed.dispose();
  });

  it('never changes state tensors the caller holds: getWeights results keep their values while training goes on', async () => {
    {
      const opt = create('adam', 0.01);
      const v = tf.variable(tf.tensor([1, 2, 3]), true);
      const step = () => opt.applyGradients({ [v.name]: tf.tensor([0.5, -0.5, 1]) });
      step();
      const held = await opt.getWeights();
      const values = held.map((w) => Array.from(w.tensor.dataSync()));
      const weightBefore = tf.clone(v); // shares v's data, as a caller's reference would
      const weightValues = Array.from(v.dataSync());
      step();
      step();
      expect(held.map((w) => Array.from(w.tensor.dataSync()))).toEqual(values);
      expect(Array.from(weightBefore.dataSync())).toEqual(weightValues);
      expect(Array.from(v.dataSync())).not.toEqual(weightValues);
      expect((await opt.getWeights()).find((w) => w.name === `${v.name}/step`)!.tensor.dataSync()[0]).toBe(3);
      tf.dispose([v, weightBefore, ...held.map((w) => w.tensor)]);
      opt.dispose();
    }
  });

  it('refuses state of another optimizer or of other shapes', async () => {
    const adam = create('adam', 0.01);
    const v = tf.variable(tf.tensor([1, 2]), true);
    adam.applyGradients({ [v.name]: tf.tensor([0.1, 0.2]) });
    const saved = await adam.getWeights();
    await expect(create('sgd', 0.1, { momentum: 0.9 }).setWeights(saved)).rejects.toThrow(
      `unknown optimizer state '${v.name}/m' for TorchSgd; expected <variable>/step or <variable>/{momentum}`,
    );
    await expect(create('sgd', 0.1).setWeights(saved.slice(1))).rejects.toThrow(
      `optimizer state must start with 'iter', received '${v.name}/step'`,
    );
    const resumed = create('adam', 0.01);
    await resumed.setWeights(saved);
    const wider = tf.variable(tf.tensor([1, 2, 3]), true);
    expect(() => resumed.applyGradients({ [wider.name]: tf.tensor([1, 1, 1]) })).toThrow(
      `restored optimizer slot '${v.name}/m' has shape [2] but variable '${wider.name}' has shape [3]`,
    );
    tf.dispose([v, wider, ...saved.map((w) => w.tensor)]);
  });
});

/** Two variables updated together; optionally starting from given values. */
function twoVariableRun(
  opt: ScheduledOptimizer,
  gradsA: number[][][],
  gradsB: number[][][],
  start?: [number[], number[]],
): { history: number[][]; final: [number[], number[]] } {
  const a = tf.variable(tf.tensor(start?.[0] ?? [0.5, -1, 2, 0], [2, 2]), true);
  const b = tf.variable(tf.tensor(start?.[1] ?? [1, 2, 3, 4], [2, 2]), true);
  const history: number[][] = [];
  gradsA.forEach((g, t) => {
    const grads = { [a.name]: tf.tensor(g), [b.name]: tf.tensor(gradsB[t]!) };
    opt.optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    history.push([...a.dataSync(), ...b.dataSync()]);
  });
  const final: [number[], number[]] = [Array.from(a.dataSync()), Array.from(b.dataSync())];
  tf.dispose([a, b]);
  return { history, final };
}

describe('in training', () => {
  it('frees every tensor made in a step: the tensor count is flat after the state exists', () => {
    for (const [name, options] of [
      ['sgd', { momentum: 0.9, weightDecay: 0.1 }],
      ['adam', { amsgrad: true, weightDecay: 0.1 }],
      ['adamw', {}],
      ['rmsprop', { centered: true, momentum: 0.9 }],
    ] as const) {
      const opt = create(name, 0.01, options);
      const v = tf.variable(tf.ones([3, 3]), true);
      const step = () => tf.tidy(() => {
        opt.minimize(() => v.square().sum() as tf.Scalar);
      });
      step();
      const after1 = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) step();
      expect(tf.memory().numTensors, name).toBe(after1);
      opt.dispose();
      v.dispose();
    }
  });

  it('holds a few temporaries of one variable at a time: the peak of a step is small and does not grow with the variable count', async () => {
    for (const [name, options] of [
      ['adam', { amsgrad: true, weightDecay: 0.1 }],
      ['rmsprop', { centered: true, momentum: 0.9 }],
      ['sgd', { momentum: 0.9, nesterov: true }],
    ] as const) {
      const peakOfStep = async (count: number) => {
        const opt = create(name, 0.01, options);
        const vars = Array.from({ length: count }, () => tf.variable(tf.ones([10000]), true));
        const grads = Object.fromEntries(vars.map((v) => [v.name, tf.ones([10000])]));
        opt.applyGradients(grads); // state exists from here on
        const before = tf.memory().numBytes;
        const info = await tf.profile(() => {
          opt.applyGradients(grads);
        });
        tf.dispose([...vars, ...Object.values(grads)]);
        opt.dispose();
        return info.peakBytes - before; // the most memory the step's temporaries took at once
      };
      const one = await peakOfStep(1);
      const eight = await peakOfStep(8);
      expect(one, name).toBeGreaterThan(0);
      expect(eight, name).toBeLessThanOrEqual(one);
      // A few weight-sized temporaries at most (a weight is 40,000 bytes; scalars add a little).
      expect(one, name).toBeLessThanOrEqual(4 * 40000 + 1000);
    }
  });

  it('trains a tfjs LayersModel through compile/fit and through minimize', async () => {
    const opt = create('adam', 0.05);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: opt.optimizer, loss: 'meanSquaredError' });
    const x = tf.tensor2d([[0, 1], [1, 0], [1, 1], [2, 1]]);
    const y = tf.tensor2d([[1], [2], [3], [5]]); // y = 2*x0 + x1
    const history = await model.fit(x, y, { epochs: 60, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.1);
    tf.dispose([x, y]);
    model.dispose();

    const w = tf.variable(tf.scalar(0));
    const sgd = create('sgd', 0.1, { momentum: 0.5 });
    for (let i = 0; i < 50; i++) tf.tidy(() => {
      sgd.minimize(() => w.sub(3).square() as tf.Scalar);
    });
    expect(w.dataSync()[0]).toBeCloseTo(3, 3);
    w.dispose();
  });

  it('resumes exactly from a tfjs layers model saved with includeOptimizer', async () => {
    const makeData = () => [tf.tensor2d([[0, 1], [1, 0], [1, 1], [2, 1]]), tf.tensor2d([[1], [2], [3], [5]])] as const;
    const [x, y] = makeData();
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2], activation: 'relu' }), tf.layers.dense({ units: 1 })] });
    model.compile({ optimizer: create('adamw', 0.01, { amsgrad: true }).optimizer, loss: 'meanSquaredError' });
    await model.fit(x, y, { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.optimizer).toBeInstanceOf(TorchAdam);
    expect((loaded.optimizer as TorchAdam).options).toEqual((model.optimizer as TorchAdam).options);
    expect((loaded.optimizer as TorchAdam).decoupled).toBe(true);
    expect(loaded.optimizer.iterations).toBe(6);
    // Both go on for two more epochs: same weights.
    await model.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    await loaded.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    const a = model.getWeights().map((w) => Array.from(w.dataSync()));
    const b = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b).toEqual(a);
    tf.dispose([x, y]);
    model.dispose();
    loaded.dispose();
  });

  it('changes the learning rate between steps (the ScheduledOptimizer contract)', () => {
    const opt = create('sgd', 0.1);
    expect(opt.getLearningRate()).toBe(0.1);
    expect(opt.optimizer).toBe(opt);
    const steps = run(opt, [1], [[1], [1]], [0.1, 0.01]);
    close(steps[1]!, [1 - 0.1 - 0.01]);
    expect(opt.getLearningRate()).toBe(0.01);
    expect(() => opt.setLearningRate(-1)).toThrow('lr must be a finite number >= 0, received -1');
    expect(() => opt.setLearningRate(Number.NaN)).toThrow('lr must be a finite number >= 0, received NaN');
  });
});

describe('the core plugin entries', () => {
  it('registers adam, adamw, rmsprop, sgd and constant, cosine, step under the plugin name core', () => {
    expect(registry.names('optimizers')).toEqual(['adam', 'adamw', 'rmsprop', 'sgd']);
    expect(registry.names('schedules')).toEqual(['constant', 'cosine', 'step']);
    expect(registry.get('optimizers', 'sgd').plugin).toBe('core');
    expect(create('sgd', 0.1)).toBeInstanceOf(TorchSgd);
    expect(create('adamw', 0.1)).toBeInstanceOf(TorchAdam);
    expect(create('rmsprop', 0.1)).toBeInstanceOf(TorchRmsprop);
  });

  it('says how many weight-sized state tensors each optimizer keeps (for memory estimates)', () => {
    expect(create('sgd', 0.1).stateSlotsPerWeight).toBe(0);
    expect(create('sgd', 0.1, { momentum: 0.9 }).stateSlotsPerWeight).toBe(1);
    expect(create('adam', 0.1).stateSlotsPerWeight).toBe(2);
    expect(create('adam', 0.1, { amsgrad: true }).stateSlotsPerWeight).toBe(3);
    expect(create('rmsprop', 0.1).stateSlotsPerWeight).toBe(1);
    expect(create('rmsprop', 0.1, { centered: true, momentum: 0.9 }).stateSlotsPerWeight).toBe(3);
    // and it is what a step really allocates
    for (const [name, options] of [['adam', { amsgrad: true }], ['rmsprop', { centered: true, momentum: 0.9 }], ['sgd', {}]] as const) {
      const opt = create(name, 0.01, options);
      const v = tf.variable(tf.ones([4]), true);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        opt.applyGradients({ [v.name]: tf.ones([4]) });
      });
      expect(tf.memory().numTensors - before, name).toBe(opt.stateSlotsPerWeight);
      opt.dispose();
      v.dispose();
    }
  });

  it('fills defaults (PyTorch’s) and checks options, repeating what was received', () => {
    expect((create('adam', 0.1) as TorchAdam).options).toEqual({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, amsgrad: false });
    expect((create('rmsprop', 0.1) as TorchRmsprop).options).toEqual({ alpha: 0.99, epsilon: 1e-8, momentum: 0, centered: false, weightDecay: 0 });
    expect(() => create('sgd', 0.1, { nesterov: true })).toThrow(
      "optimizer 'sgd': options.momentum is required (nesterov needs momentum > 0 and dampening 0)",
    );
    expect(() => create('sgd', 0.1, { nesterov: true, momentum: 0, dampening: 0.5 })).toThrow(
      "optimizer 'sgd': options.momentum must be > 0, received 0 (nesterov needs momentum > 0 and dampening 0); options.dampening must be 0, received 0.5 (nesterov needs momentum > 0 and dampening 0)",
    );
    // Constructed directly, the class checks the same rule.
    expect(() => new TorchSgd(0.1, { nesterov: true })).toThrow(
      'nesterov momentum needs momentum > 0 and dampening 0, received momentum 0, dampening 0',
    );
    expect(() => create('sgd', 0.1, { momentun: 0.9 })).toThrow(
      "optimizer 'sgd': options.momentun is not a known field; did you mean 'momentum'?",
    );
    expect(() => create('adam', 0.1, { beta2: 1, epsilon: 0 })).toThrow(
      "optimizer 'adam': options.beta2 must be < 1, received 1; options.epsilon must be > 0, received 0",
    );
    expect(() => create('adam', -0.1)).toThrow('lr must be a finite number >= 0, received -0.1');
  });
});
