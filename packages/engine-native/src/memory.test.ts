import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { BufferPool, type NativeBackend } from './memory.ts';
import { describeNative, randomData, startNative } from './testing/native.ts';

const SHAPE = [16, 16, 16];
const N = 16 * 16 * 16;

describeNative('reused output memory', () => {
  beforeAll(async () => {
    await startNative();
  });

  const pool = () => (tf.backend() as NativeBackend).pool;
  const relu = (seed: number) => tf.relu(tf.tensor(randomData(N, seed), SHAPE));

  it('hands a disposed output back to the next kernel that needs the same size', () => {
    const first = relu(1);
    const memory = (tf.backend() as NativeBackend).data.get(first.dataId).values;
    first.dispose();
    const second = relu(2);
    expect((tf.backend() as NativeBackend).data.get(second.dataId).values).toBe(memory);
    second.dispose();
  });

  it('what dataSync returned keeps its values after the tensor is disposed and its memory reused', () => {
    const a = relu(3);
    const read = a.dataSync();
    const expected = Array.from(read);
    a.dispose();
    const b = relu(4);
    expect(Array.from(read)).toEqual(expected);
    b.dispose();
  });

  it('a slice that is a view of a pooled output keeps that memory out of the pool until it is disposed too', () => {
    const a = relu(5);
    const view = a.slice([0, 0, 0], [8, 16, 16]); // contiguous: the cpu kernel returns a subarray of a's data
    const expected = Array.from(view.dataSync());
    a.dispose();
    const b = relu(6);
    expect(Array.from(view.dataSync())).toEqual(expected);
    tf.dispose([b, view]);
  });

  it("never reuses a caller's array given to tf.tensor", () => {
    const data = randomData(N, 7);
    const copy = Array.from(data);
    const t = tf.tensor(data, SHAPE);
    t.dispose();
    const b = relu(8);
    expect(Array.from(data)).toEqual(copy);
    b.dispose();
  });

  it('keeps at most its budget waiting', () => {
    expect(pool().pooledBytes).toBeLessThanOrEqual(pool().budgetBytes);
  });
});

it('BufferPool: arrays come back by length, within the byte budget, once their last holder is gone', () => {
  const pool = new BufferPool(3 * 4096 * 4);
  const a = pool.take(4096);
  pool.hold(a);
  pool.hold(a.subarray(0, 10)); // a view held by a second entry
  pool.release(a);
  expect(pool.take(4096)).not.toBe(a); // the view still holds it
  pool.release(a.subarray(0, 10));
  expect(pool.take(4096)).toBe(a);
  const small = pool.take(10);
  pool.hold(small);
  pool.release(small);
  expect(pool.pooledBytes).toBe(0); // small arrays are not tracked
  const big = pool.take(4 * 4096);
  pool.hold(big);
  pool.release(big);
  expect(pool.pooledBytes).toBe(0); // over the budget: left to the garbage collector
});
