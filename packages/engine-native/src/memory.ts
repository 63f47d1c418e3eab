/**
 * Output memory of the native kernels, reused. A fresh Float32Array costs far more than the kernel that
 * fills it: its pages are mapped and zeroed by the kernel on first touch (measured: relu on 2 MB, 0.15 ms
 * into a reused array, 4 ms into a new one; a training step of vgg11/4 at 32x32 spent about a third of its
 * time there). So the backend hands the arrays of disposed tensors back to the kernels.
 *
 * Safe because the backend knows every holder of such an array: tensors store their values only through
 * `write`/`move` (so each data entry over a pooled buffer is counted, views included: tfjs's Slice returns a
 * subarray of its input), and what leaves the backend through `readSync` (dataSync, data, bufferSync) is a
 * copy. Arrays the backend did not allocate (a user's data given to tf.tensor) are never reused.
 */
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

/** Below this many elements an array is cheap to allocate and not worth tracking. */
const MIN_POOLED_ELEMENTS = 1024;

interface Owned {
  /** The whole array the pool allocated over this buffer. */
  array: Float32Array;
  /** Data entries of the backend whose values lie in this buffer. */
  holders: number;
}

/** Free arrays by length, up to a byte budget (beyond it, released arrays are left to the garbage collector). */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly owned = new WeakMap<ArrayBufferLike, Owned>();
  private freeBytes = 0;

  constructor(readonly budgetBytes: number) {}

  /** An array of `length` floats; its contents are undefined (every native kernel overwrites its output). */
  take(length: number): Float32Array {
    if (length < MIN_POOLED_ELEMENTS) return new Float32Array(length);
    const reused = this.free.get(length)?.pop();
    if (reused) {
      this.freeBytes -= reused.byteLength;
      return reused;
    }
    const array = new Float32Array(length);
    this.owned.set(array.buffer, { array, holders: 0 });
    return array;
  }

  /** Whether `values` lies in memory the pool may hand out again. */
  owns(values: unknown): boolean {
    return ArrayBuffer.isView(values) && this.owned.has(values.buffer);
  }

  /** A data entry now holds `values`. */
  hold(values: unknown): void {
    if (ArrayBuffer.isView(values)) {
      const owned = this.owned.get(values.buffer);
      if (owned) owned.holders++;
    }
  }

  /** A data entry that held `values` is gone: the last one gives the array back. */
  release(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const owned = this.owned.get(values.buffer);
    if (!owned || --owned.holders > 0) return;
    if (this.freeBytes + owned.array.byteLength > this.budgetBytes) return;
    const list = this.free.get(owned.array.length);
    if (list) list.push(owned.array);
    else this.free.set(owned.array.length, [owned.array]);
    this.freeBytes += owned.array.byteLength;
  }

  /** Bytes waiting in the pool. */
  get pooledBytes(): number {
    return this.freeBytes;
  }

  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
  }
}

type DataId = object;

/** tfjs's `cpu` backend with the pool wired into where tensor data is stored, freed and read out. */
export class NativeBackend extends MathBackendCPU {
  constructor(readonly pool: BufferPool) {
    super();
    // The cpu backend prints an "install tfjs-node" banner on first use; the engine says what runs instead.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): DataId {
    this.pool.hold(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.pool.hold(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const gone = super.disposeData(dataId, force);
    if (gone && values !== undefined && !this.data.has(dataId)) this.pool.release(values);
    return gone;
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    return this.pool.owns(values) ? (values as Float32Array).slice() : values;
  }

  override dispose(): void {
    super.dispose();
    this.pool.clear();
  }
}
