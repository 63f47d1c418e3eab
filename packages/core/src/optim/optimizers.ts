/**
 * Optimizers that follow torch.optim's update rules exactly (single-tensor, float32), as tf.Optimizer
 * subclasses, so that a run is comparable with the same recipe in PyTorch. tfjs's own optimizers differ in
 * details (Adam's default epsilon, no weight decay, SGD momentum without dampening or nesterov, RMSprop's
 * epsilon inside the square root) and keep their state by position rather than by variable.
 *
 * The updates are plain tf ops in a tidy. A fused JS loop over the raw float32 data (wasm heap views) was
 * tried and measured on wasm, interleaved, 0.78M parameters: Adam 8.9 ms per step fused vs 8.5 ms in ops,
 * RMSprop 8.2 vs 5.9, SGD 6.2 vs 4.0: wasm's SIMD elementwise ops are already as fast, so it was dropped.
 * A backend may still run a whole update in one native pass (the native engine does): see fused.ts; the
 * optimizer then calls that kernel instead, with the same scalars, and gets the same float32 result.
 *
 * State is per variable, created on the variable's first step (as PyTorch's lazily created state), and kept
 * by variable name. `getWeights()` returns `iter` followed by `<variable>/<slot>` tensors (including
 * `<variable>/step`), owned by the caller; `setWeights()` restores them so that training continues exactly.
 */
import * as tf from '@tensorflow/tfjs';
import type { ScheduledOptimizer } from '../plugin.ts';
import { ADAM_DEFAULTS, ADAMW_DEFAULTS, RMSPROP_DEFAULTS, SGD_DEFAULTS } from './defaults.ts';
import { adamScalars, backendHasKernel, FUSED_UPDATE_KERNELS, rmspropScalars, runFusedUpdate, sgdScalars, type FusedUpdate } from './fused.ts';

type NamedTensor = { name: string; tensor: tf.Tensor };
type Gradients = tf.NamedTensorMap | NamedTensor[];

interface VariableState {
  /** Steps taken on this variable (PyTorch's per-parameter state['step']). */
  step: number;
  slots: Map<string, tf.Variable>;
}

/*
 * Memory: an update runs in its own tidy per variable, and frees each weight-sized intermediate as soon as
 * the next one exists (a tidy frees only at its end), so a step's peak is a few copies of the largest
 * weight rather than one per op: it matters for VGG16's 102M-parameter fc1 under wasm's 4 GB.
 */

/** a·wa + b·wb, holding at most three weight-sized temporaries. */
function weightedSum(a: tf.Tensor, wa: number, b: tf.Tensor, wb: number): tf.Tensor {
  const x = wa === 1 ? a : a.mul(wa);
  const y = wb === 1 ? b : b.mul(wb);
  const sum = x.add(y);
  if (x !== a) x.dispose();
  if (y !== b) y.dispose();
  return sum;
}

/** Applies `steps` in turn, freeing each intermediate once the next exists (never `start`). */
function pipe(start: tf.Tensor, ...steps: ((t: tf.Tensor) => tf.Tensor)[]): tf.Tensor {
  let current = start;
  for (const step of steps) {
    const next = step(current);
    if (current !== start) current.dispose();
    current = next;
  }
  return current;
}

/** Gives `variable` the value `value` (the old one is freed by assign; `value` is consumed). */
function set(variable: tf.Variable, value: tf.Tensor): void {
  variable.assign(value);
  value.dispose();
}

/** The options among a saved config's entries (tfjs adds its own, such as customObjects). */
function pick(config: tf.serialization.ConfigDict, known: object): Record<string, any> {
  return Object.fromEntries(Object.keys(known).filter((k) => config[k] !== undefined).map((k) => [k, config[k]]));
}

export class OptimizerStateError extends Error {
  override name = 'OptimizerStateError';
}

/**
 * The shared part: learning rate, per-variable state, checkpointing. Subclasses give `update`, which runs
 * inside a tf.tidy and assigns the new value to the variable and its slots.
 */
export abstract class TorchStyleOptimizer extends tf.Optimizer implements ScheduledOptimizer {
  protected lr: number;
  private readonly states = new Map<string, VariableState>();
  /** State read by setWeights, bound to variables on the next step (by name, else by order). */
  private pending: Map<string, { step: number; slots: Map<string, tf.Tensor> }> | undefined;

  /** Slots this optimizer may keep per variable, in checkpoint order. */
  protected abstract readonly slotNames: readonly string[];

  /**
   * How many tensors of a weight's size this optimizer keeps per weight with its options (Adam 2, SGD
   * with momentum 1, …): for memory estimates before the first step.
   */
  abstract get stateSlotsPerWeight(): number;

  constructor(lr: number) {
    super();
    if (!(Number.isFinite(lr) && lr >= 0)) throw new RangeError(`lr must be a finite number >= 0, received ${lr}`);
    this.lr = lr;
  }

  /** The ScheduledOptimizer contract: this object is its own tf.Optimizer. */
  get optimizer(): tf.Optimizer {
    return this;
  }
  setLearningRate(lr: number): void {
    if (!(Number.isFinite(lr) && lr >= 0)) throw new RangeError(`lr must be a finite number >= 0, received ${lr}`);
    this.lr = lr;
  }
  getLearningRate(): number {
    return this.lr;
  }

  /**
   * One step on `variable` with `grad`; `state.step` is already incremented. Create a missing slot with
   * `this.slot(state, name, initial)`.
   */
  protected abstract update(variable: tf.Variable, grad: tf.Tensor, state: VariableState): void;

  /**
   * The same step as one call of a fused kernel of the active backend (fused.ts), or undefined when the
   * backend has none: then `update` runs. Creates the slots the step needs.
   */
  protected fusedUpdate(_variable: tf.Variable, _grad: tf.Tensor, _state: VariableState): FusedUpdate | undefined {
    return undefined;
  }

  /** The slots `names`, created as zeros like `p` when missing (in a tidy: only the variables are kept). */
  protected zeroSlots(state: VariableState, p: tf.Tensor, names: readonly string[]): tf.Variable[] {
    return tf.tidy(() => names.map((name) => this.slot(state, name, () => tf.zerosLike(p)).variable));
  }

  /** The slot `name`, created from `initial()` (kept: a tf.Variable outlives the tidy) when missing. */
  protected slot(state: VariableState, name: string, initial: () => tf.Tensor): { variable: tf.Variable; fresh: boolean } {
    const found = state.slots.get(name);
    if (found) return { variable: found, fresh: false };
    const variable = tf.variable(initial(), false);
    state.slots.set(name, variable);
    return { variable, fresh: true };
  }

  override applyGradients(variableGradients: Gradients): void {
    const entries: [string, tf.Tensor | null | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    if (this.pending) this.bindPending(entries.filter(([, g]) => g != null).map(([n]) => n));
    const registered = tf.engine().registeredVariables;
    for (const [name, grad] of entries) {
      if (grad == null) continue; // no gradient: PyTorch skips the parameter, state untouched
      const variable = registered[name];
      if (!variable) throw new OptimizerStateError(`no variable named '${name}' is registered`);
      let state = this.states.get(name);
      if (!state) {
        state = { step: 0, slots: new Map() };
        this.states.set(name, state);
      }
      state.step += 1;
      const fused = this.fusedUpdate(variable, grad, state);
      if (fused) {
        runFusedUpdate(fused);
        continue;
      }
      // One tidy per variable: the update's temporaries (at most four weight-sized tensors) exist for one
      // variable at a time, not for the whole model at once (tfjs's Adam holds ~11 per weight of all of them).
      tf.tidy(() => this.update(variable, grad, state));
    }
    this.incrementIterations();
  }

  /** Binds state restored by setWeights to this run's variables: by name, or by order when no name matches. */
  private bindPending(names: string[]): void {
    const pending = this.pending!;
    this.pending = undefined;
    const saved = [...pending.keys()];
    const byName = saved.every((n) => names.includes(n));
    if (!byName && saved.length !== names.length) {
      throw new OptimizerStateError(
        `the restored optimizer state is for ${saved.length} variables (${saved.slice(0, 3).join(', ')}${saved.length > 3 ? ', …' : ''}) but this step updates ${names.length} variables with other names`,
      );
    }
    const registered = tf.engine().registeredVariables;
    saved.forEach((savedName, i) => {
      const name = byName ? savedName : names[i]!;
      const { step, slots } = pending.get(savedName)!;
      const shape = registered[name]?.shape;
      const state: VariableState = { step, slots: new Map() };
      for (const [slot, tensor] of slots) {
        if (shape && !tf.util.arraysEqual(shape, tensor.shape)) {
          throw new OptimizerStateError(
            `restored optimizer slot '${savedName}/${slot}' has shape [${tensor.shape}] but variable '${name}' has shape [${shape}]`,
          );
        }
        state.slots.set(slot, tf.variable(tensor, false));
        tensor.dispose();
      }
      this.states.get(name)?.slots.forEach((v) => v.dispose());
      this.states.set(name, state);
    });
  }

  /** `iter`, then `<variable>/step` and `<variable>/<slot>` per variable; the caller owns (and disposes) them. */
  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()];
    const add = (name: string, step: number, slots: Map<string, tf.Tensor>) => {
      out.push({ name: `${name}/step`, tensor: tf.scalar(step, 'int32') });
      for (const slot of this.slotNames) {
        const t = slots.get(slot);
        if (t) out.push({ name: `${name}/${slot}`, tensor: tf.clone(t) });
      }
    };
    for (const [name, s] of this.states) add(name, s.step, s.slots);
    for (const [name, s] of this.pending ?? []) add(name, s.step, s.slots);
    return out;
  }

  /** Restores what getWeights returned (the caller may dispose its tensors afterwards). */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    if (weightValues[0]?.name !== 'iter') {
      throw new OptimizerStateError(`optimizer state must start with 'iter', received '${weightValues[0]?.name}'`);
    }
    const rest = await this.extractIterations(weightValues);
    const pending = new Map<string, { step: number; slots: Map<string, tf.Tensor> }>();
    for (const { name, tensor } of rest) {
      const cut = name.lastIndexOf('/');
      const variable = name.slice(0, cut);
      const slot = name.slice(cut + 1);
      if (cut <= 0 || (slot !== 'step' && !this.slotNames.includes(slot))) {
        throw new OptimizerStateError(
          `unknown optimizer state '${name}' for ${this.getClassName()}; expected <variable>/step or <variable>/{${this.slotNames.join(',')}}`,
        );
      }
      let entry = pending.get(variable);
      if (!entry) pending.set(variable, (entry = { step: 0, slots: new Map() }));
      if (slot === 'step') entry.step = (await tensor.data())[0]!;
      else entry.slots.set(slot, tf.clone(tensor));
    }
    for (const s of this.states.values()) s.slots.forEach((v) => v.dispose());
    this.states.clear();
    for (const s of this.pending?.values() ?? []) s.slots.forEach((t) => t.dispose());
    this.pending = pending;
  }

  override dispose(): void {
    for (const s of this.states.values()) s.slots.forEach((v) => v.dispose());
    this.states.clear();
    for (const s of this.pending?.values() ?? []) s.slots.forEach((t) => t.dispose());
    this.pending = undefined;
  }
}

export interface SgdOptions {
  /** Momentum factor μ. Defaults to 0. */
  momentum?: number;
  /** Dampening τ for momentum. Defaults to 0. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Defaults to false. */
  nesterov?: boolean;
  /** L2 penalty λ, added to the gradient. Defaults to 0. */
  weightDecay?: number;
}

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
  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.lr, ...this.options };
  }
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new (cls as unknown as typeof TorchSgd)(config.learningRate as number, pick(config, SGD_DEFAULTS)) as unknown as T;
  }
}

export interface AdamOptions {
  /** Decay of the first-moment average β1. Defaults to 0.9. */
  beta1?: number;
  /** Decay of the second-moment average β2. Defaults to 0.999. */
  beta2?: number;
  /** ε, added to the bias-corrected root second moment. Defaults to 1e-8 (tfjs uses 1e-7). */
  epsilon?: number;
  /** Adam: L2 penalty λ added to the gradient; AdamW: decoupled decay. Defaults to 0 (AdamW 0.01). */
  weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad). Defaults to false. */
  amsgrad?: boolean;
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
  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.lr, decoupled: this.decoupled, ...this.options };
  }
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const options = pick(config, ADAM_DEFAULTS);
    return new (cls as unknown as typeof TorchAdam)(config.learningRate as number, options, config.decoupled === true) as unknown as T;
  }
}

export interface RmspropOptions {
  /** Decay α of the squared-gradient average (Keras and TF call it rho). Defaults to 0.99. */
  alpha?: number;
  /** ε, added to the root of the average (outside the square root, as PyTorch). Defaults to 1e-8. */
  epsilon?: number;
  /** Momentum factor μ. Defaults to 0. */
  momentum?: number;
  /** Divide by the centred second moment (an estimate of the variance). Defaults to false. */
  centered?: boolean;
  /** L2 penalty λ added to the gradient. Defaults to 0. */
  weightDecay?: number;
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
  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.lr, ...this.options };
  }
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new (cls as unknown as typeof TorchRmsprop)(config.learningRate as number, pick(config, RMSPROP_DEFAULTS)) as unknown as T;
  }
}

// Registered so that a tfjs layers model saved with `includeOptimizer: true` loads with its optimizer
// (tf.loadLayersModel finds the class by name, then restores the state through setWeights).
tf.serialization.registerClass(TorchSgd);
tf.serialization.registerClass(TorchAdam);
tf.serialization.registerClass(TorchRmsprop);

