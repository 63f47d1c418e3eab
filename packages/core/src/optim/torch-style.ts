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
import type { OptimizerMemorySpec, ScheduledOptimizer } from '../plugin.ts';
import { runFusedUpdate, type FusedUpdate } from './fused.ts';

type NamedTensor = { name: string; tensor: tf.Tensor };
type Gradients = tf.NamedTensorMap | NamedTensor[];

export interface VariableState {
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
export function weightedSum(a: tf.Tensor, wa: number, b: tf.Tensor, wb: number): tf.Tensor {
  const x = wa === 1 ? a : a.mul(wa);
  const y = wb === 1 ? b : b.mul(wb);
  const sum = x.add(y);
  if (x !== a) x.dispose();
  if (y !== b) y.dispose();
  return sum;
}

/** Applies `steps` in turn, freeing each intermediate once the next exists (never `start`). */
export function pipe(start: tf.Tensor, ...steps: ((t: tf.Tensor) => tf.Tensor)[]): tf.Tensor {
  let current = start;
  for (const step of steps) {
    const next = step(current);
    if (current !== start) current.dispose();
    current = next;
  }
  return current;
}

/** Gives `variable` the value `value` (the old one is freed by assign; `value` is consumed). */
export function set(variable: tf.Variable, value: tf.Tensor): void {
  variable.assign(value);
  value.dispose();
}

/** The options among a saved config's entries (tfjs adds its own, such as customObjects). */
export function pick(config: tf.serialization.ConfigDict, known: object): Record<string, any> {
  return Object.fromEntries(Object.keys(known).filter((k) => config[k] !== undefined).map((k) => [k, config[k]]));
}

/** ' (momentum, nesterov)': the options that are on, for the optimizer's name in memory messages. */
export function flagsOn(flags: [unknown, string][]): string {
  const on = flags.filter(([v]) => v === true || (typeof v === 'number' && v !== 0)).map(([, name]) => name);
  return on.length ? ` (${on.join(', ')})` : '';
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

  /**
   * What this optimizer costs in memory with its options (the ScheduledOptimizer contract): its slots per
   * weight and the weight-sized temporaries its update holds at its peak, counted from each `update` (optimizers.ts), which
   * frees each intermediate as soon as the next exists: a weighted sum a·x + b·y holds 3 (x·a, y·b, the sum),
   * p − lr·d holds 2, and a kept gradient with weight decay or a kept denominator adds one.
   * optimizers.test.ts bounds the peak at 4 for the heaviest options it measures. Measured on wasm for plain
   * TorchSgd on full VGG16 (engine/capacity.ts, WASM_ALLOCATOR_OVERHEAD): the tracked-tensor peak was
   * 1.970 GB, where this count (2 copies of fc1's 411 MB) gives 2.03 GB.
   */
  abstract get memory(): OptimizerMemorySpec;

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

  /** The options this optimizer was made with (PyTorch's names), defaults filled in. */
  abstract readonly options: object;

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.lr, ...(this.options as tf.serialization.ConfigDict) };
  }

  /**
   * Makes the optimizer a saved config describes: its lr, the options its class's `optionDefaults` name, and
   * every other config entry a subclass's constructor takes third (TorchAdam's `decoupled`).
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const ctor = cls as unknown as { optionDefaults: object; new (lr: number, options: object, decoupled?: boolean): T };
    return new ctor(config.learningRate as number, pick(config, ctor.optionDefaults), config.decoupled === true);
  }

  override dispose(): void {
    for (const s of this.states.values()) s.slots.forEach((v) => v.dispose());
    this.states.clear();
    for (const s of this.pending?.values() ?? []) s.slots.forEach((t) => t.dispose());
    this.pending = undefined;
  }
}
