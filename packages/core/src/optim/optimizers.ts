/**
 * torch.optim's SGD, Adam/AdamW and RMSprop, on the shared TorchStyleOptimizer (torch-style.ts: learning rate,
 * per-variable state, checkpointing): each gives its update, its slots and what it costs in memory.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerMemorySpec } from '../plugin.ts';
import { ADAM_DEFAULTS, ADAMW_DEFAULTS, RMSPROP_DEFAULTS, SGD_DEFAULTS } from './defaults.ts';
import type { AdamOptions, RmspropOptions, SgdOptions } from './schemas.ts';
import { adamScalars, backendHasKernel, FUSED_UPDATE_KERNELS, rmspropScalars, sgdScalars, type FusedUpdate } from './fused.ts';
import { flagsOn, pipe, set, TorchStyleOptimizer, weightedSum, type VariableState } from './torch-style.ts';
/**
 * torch.optim.SGD:
 *   g = grad + λ·p                                   (weight decay, when λ ≠ 0)
 *   b = g on the first step, else b = μ·b + (1 − τ)·g  (momentum, when μ ≠ 0)
 *   g = g + μ·b if nesterov, else g = b
 *   p = p − lr·g
 */
export class TorchSgd extends TorchStyleOptimizer {
  static get className() {
    return 'TorchSgd';
  }
  protected readonly slotNames = ['momentum'] as const;
  readonly options: Required<SgdOptions>;
  constructor(lr: number, options: SgdOptions = {}) {
    super(lr);
    this.options = { ...SGD_DEFAULTS, ...options };
    const { momentum, dampening, nesterov } = this.options;
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new RangeError(`nesterov momentum needs momentum > 0 and dampening 0, received momentum ${momentum}, dampening ${dampening}`);
    }
  }
  get stateSlotsPerWeight(): number {
    return this.options.momentum !== 0 ? 1 : 0;
  }
  get memory(): OptimizerMemorySpec {
    const { momentum, nesterov, weightDecay } = this.options;
    // p − lr·d: 2; the momentum buffer's weighted sum: 3; nesterov keeps its direction beside p − lr·d.
    const base = momentum !== 0 ? 3 : 2;
    return {
      name: `sgd${flagsOn([[momentum, 'momentum'], [nesterov, 'nesterov']])}`,
      slotsPerWeight: this.stateSlotsPerWeight,
      updateTemporaries: 'per-variable',
      temporariesPerWeight: base + (nesterov ? 1 : 0) + (weightDecay !== 0 ? 1 : 0),
    };
  }
  protected update(p: tf.Variable, grad: tf.Tensor, state: VariableState): void {
    const { nesterov, weightDecay } = this.options;
    const [lr, momentum, oneMinusDampening, l2] = sgdScalars(this.lr, this.options);
    const g = weightDecay !== 0 ? weightedSum(grad, 1, p, l2) : grad;
    let direction = g;
    if (momentum !== 0) {
      const { variable: buf, fresh } = this.slot(state, 'momentum', () => g); // shares g's data, no copy
      if (!fresh) set(buf, weightedSum(buf, momentum, g, oneMinusDampening));
      direction = nesterov ? weightedSum(g, 1, buf, momentum) : buf;
    }
    set(p, pipe(direction, (t) => t.mul(lr), (t) => p.sub(t)));
    if (direction !== g && direction !== (state.slots.get('momentum') as tf.Tensor)) direction.dispose();
    if (g !== grad) g.dispose();
  }
  protected override fusedUpdate(p: tf.Variable, grad: tf.Tensor, state: VariableState): FusedUpdate | undefined {
    if (!backendHasKernel(FUSED_UPDATE_KERNELS.sgd)) return undefined;
    const fresh = this.options.momentum !== 0 && !state.slots.has('momentum');
    // A fresh buffer starts as the gradient: the kernel writes it (`fresh`) instead of sharing g's data.
    const slots = this.options.momentum !== 0 ? this.zeroSlots(state, p, ['momentum']) : [];
    return {
      kernelName: FUSED_UPDATE_KERNELS.sgd,
      inputs: { param: p, grad, ...(slots[0] ? { momentum: slots[0] } : {}) },
      attrs: { scalars: sgdScalars(this.lr, this.options), fresh, nesterov: this.options.nesterov },
      targets: [p, ...slots],
    };
  }
  /** Options a saved config restores (fromConfig, in torch-style.ts). */
  static readonly optionDefaults = SGD_DEFAULTS;
}

/**
 * torch.optim.Adam (decoupled = false) and torch.optim.AdamW (decoupled = true), step t counted per variable:
 *   AdamW: p = p·(1 − lr·λ);   Adam: g = grad + λ·p
 *   m = β1·m + (1 − β1)·g
 *   v = β2·v + (1 − β2)·g²
 *   v̂max = max(v̂max, v) with amsgrad (used in place of v below)
 *   denom = √v / √(1 − β2^t) + ε
 *   p = p − (lr / (1 − β1^t)) · m / denom
 */
export class TorchAdam extends TorchStyleOptimizer {
  static get className() {
    return 'TorchAdam';
  }
  protected readonly slotNames = ['m', 'v', 'vmax'] as const;
  readonly options: Required<AdamOptions>;
  constructor(
    lr: number,
    options: AdamOptions = {},
    readonly decoupled = false,
  ) {
    super(lr);
    this.options = { ...(decoupled ? ADAMW_DEFAULTS : ADAM_DEFAULTS), ...options };
  }
  get stateSlotsPerWeight(): number {
    return this.options.amsgrad ? 3 : 2;
  }
  get memory(): OptimizerMemorySpec {
    // m's weighted sum: 3; L2 decay keeps g = grad + λp beside it (AdamW's decay is a 1-temporary step).
    const l2 = !this.decoupled && this.options.weightDecay !== 0 ? 1 : 0;
    return {
      name: `${this.decoupled ? 'adamw' : 'adam'}${flagsOn([[this.options.amsgrad, 'amsgrad']])}`,
      slotsPerWeight: this.stateSlotsPerWeight,
      updateTemporaries: 'per-variable',
      temporariesPerWeight: 3 + l2,
    };
  }
  protected update(p: tf.Variable, grad: tf.Tensor, state: VariableState): void {
    const { weightDecay, amsgrad } = this.options;
    const [decay, l2, beta1, oneMinusBeta1, beta2, oneMinusBeta2, sqrtBiasCorrection2, epsilon, stepSize] = adamScalars(
      this.lr,
      this.options,
      state.step,
      this.decoupled,
    );
    let g = grad;
    if (weightDecay !== 0) {
      if (this.decoupled) set(p, p.mul(decay));
      else g = weightedSum(grad, 1, p, l2);
    }
    const m = this.slot(state, 'm', () => tf.zerosLike(p)).variable;
    const v = this.slot(state, 'v', () => tf.zerosLike(p)).variable;
    set(m, weightedSum(m, beta1, g, oneMinusBeta1));
    const scaledG2 = pipe(g, (x) => x.square(), (x) => x.mul(oneMinusBeta2));
    if (g !== grad) g.dispose();
    set(v, weightedSum(v, beta2, scaledG2, 1));
    scaledG2.dispose();
    let second: tf.Tensor = v;
    if (amsgrad) {
      const vmax = this.slot(state, 'vmax', () => tf.zerosLike(p)).variable;
      set(vmax, tf.maximum(vmax, v));
      second = vmax;
    }
    set(
      p,
      pipe(
        second,
        (x) => x.sqrt(),
        (x) => x.div(sqrtBiasCorrection2),
        (x) => x.add(epsilon), // denom
        (x) => m.div(x),
        (x) => x.mul(stepSize),
        (x) => p.sub(x),
      ),
    );
  }
  protected override fusedUpdate(p: tf.Variable, grad: tf.Tensor, state: VariableState): FusedUpdate | undefined {
    if (!backendHasKernel(FUSED_UPDATE_KERNELS.adam)) return undefined;
    const [m, v, vmax] = this.zeroSlots(state, p, this.options.amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v']);
    return {
      kernelName: FUSED_UPDATE_KERNELS.adam,
      inputs: { param: p, grad, m: m!, v: v!, ...(vmax ? { vmax } : {}) },
      attrs: { scalars: adamScalars(this.lr, this.options, state.step, this.decoupled) },
      targets: [p, m!, v!, ...(vmax ? [vmax] : [])],
    };
  }
  /** Options a saved config restores (fromConfig, in torch-style.ts); `decoupled` travels beside them. */
  static readonly optionDefaults = ADAM_DEFAULTS;
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), decoupled: this.decoupled };
  }
}

/**
 * torch.optim.RMSprop:
 *   g = grad + λ·p
 *   s = α·s + (1 − α)·g²
 *   centered: a = α·a + (1 − α)·g;  avg = √(s − a²) + ε;  else avg = √s + ε
 *   momentum: b = μ·b + g / avg (b starts at 0);  p = p − lr·b
 *   else:     p = p − lr·g / avg
 */
export class TorchRmsprop extends TorchStyleOptimizer {
  static get className() {
    return 'TorchRmsprop';
  }
  protected readonly slotNames = ['square_avg', 'grad_avg', 'momentum'] as const;
  readonly options: Required<RmspropOptions>;
  constructor(lr: number, options: RmspropOptions = {}) {
    super(lr);
    this.options = { ...RMSPROP_DEFAULTS, ...options };
  }
  get stateSlotsPerWeight(): number {
    return 1 + (this.options.centered ? 1 : 0) + (this.options.momentum > 0 ? 1 : 0);
  }
  get memory(): OptimizerMemorySpec {
    const { centered, momentum, weightDecay } = this.options;
    // square_avg's weighted sum: 3; momentum keeps the denominator and g/avg beside b's weighted sum: 4.
    return {
      name: `rmsprop${flagsOn([[centered, 'centred'], [momentum, 'momentum']])}`,
      slotsPerWeight: this.stateSlotsPerWeight,
      updateTemporaries: 'per-variable',
      temporariesPerWeight: (momentum !== 0 ? 4 : 3) + (weightDecay !== 0 ? 1 : 0),
    };
  }
  protected update(p: tf.Variable, grad: tf.Tensor, state: VariableState): void {
    const { centered, weightDecay } = this.options;
    const [lr, alpha, oneMinusAlpha, epsilon, momentum, l2] = rmspropScalars(this.lr, this.options);
    const g = weightDecay !== 0 ? weightedSum(grad, 1, p, l2) : grad;
    const s = this.slot(state, 'square_avg', () => tf.zerosLike(p)).variable;
    const scaledG2 = pipe(g, (x) => x.square(), (x) => x.mul(oneMinusAlpha));
    set(s, weightedSum(s, alpha, scaledG2, 1));
    scaledG2.dispose();
    let avg: tf.Tensor;
    if (centered) {
      const a = this.slot(state, 'grad_avg', () => tf.zerosLike(p)).variable;
      set(a, weightedSum(a, alpha, g, oneMinusAlpha));
      avg = pipe(
        a,
        (x) => x.square(),
        (x) => s.sub(x),
        (x) => x.sqrt(),
        (x) => x.add(epsilon),
      );
    } else {
      avg = pipe(
        s,
        (x) => x.sqrt(),
        (x) => x.add(epsilon),
      );
    }
    if (momentum > 0) {
      const b = this.slot(state, 'momentum', () => tf.zerosLike(p)).variable;
      const step = g.div(avg);
      set(b, weightedSum(b, momentum, step, 1));
      step.dispose();
      set(p, pipe(b, (x) => x.mul(lr), (x) => p.sub(x)));
    } else {
      set(p, pipe(g, (x) => x.div(avg), (x) => x.mul(lr), (x) => p.sub(x)));
    }
    avg.dispose();
    if (g !== grad) g.dispose();
  }
  protected override fusedUpdate(p: tf.Variable, grad: tf.Tensor, state: VariableState): FusedUpdate | undefined {
    if (!backendHasKernel(FUSED_UPDATE_KERNELS.rmsprop)) return undefined;
    const names = ['square_avg', ...(this.options.centered ? ['grad_avg'] : []), ...(this.options.momentum > 0 ? ['momentum'] : [])];
    const slots = this.zeroSlots(state, p, names);
    return {
      kernelName: FUSED_UPDATE_KERNELS.rmsprop,
      inputs: { param: p, grad, ...Object.fromEntries(names.map((name, i) => [name, slots[i]!])) },
      attrs: { scalars: rmspropScalars(this.lr, this.options) },
      targets: [p, ...slots],
    };
  }
  /** Options a saved config restores (fromConfig, in torch-style.ts). */
  static readonly optionDefaults = RMSPROP_DEFAULTS;
}

// Registered so that a tfjs layers model saved with `includeOptimizer: true` loads with its optimizer
// (tf.loadLayersModel finds the class by name, then restores the state through setWeights).
tf.serialization.registerClass(TorchSgd);
tf.serialization.registerClass(TorchAdam);
tf.serialization.registerClass(TorchRmsprop);

