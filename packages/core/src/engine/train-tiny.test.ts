import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { initEngine } from './backend.ts';

// End to end: a tiny conv net trains on wasm through tf.LayersModel + Adam, which needs every training
// kernel (stock wasm has no Conv2DBackpropFilter, so this fails without vgglab's overrides).
it('a tiny conv net (2 convs + dense, 16x16 inputs) trains on wasm with Adam and its loss falls', async () => {
  const info = await initEngine({ backend: 'wasm', log: () => {} });
  expect(info.backend).toBe('wasm');
  expect(tf.getBackend()).toBe('wasm');

  // Class = which quadrant holds a bright 4x4 square (learnable, not separable by mean intensity).
  const n = 32;
  const xs = new Float32Array(n * 16 * 16 * 3);
  const labels: number[] = [];
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < n; i++) {
    const label = i % 4;
    labels.push(label);
    const oy = (label >> 1) * 8 + 2 + Math.floor(random() * 3);
    const ox = (label & 1) * 8 + 2 + Math.floor(random() * 3);
    for (let y = 0; y < 16; y++)
      for (let x = 0; x < 16; x++)
        for (let c = 0; c < 3; c++) {
          const bright = y >= oy && y < oy + 4 && x >= ox && x < ox + 4;
          xs[((i * 16 + y) * 16 + x) * 3 + c] = (bright ? 1 : 0) + (random() - 0.5) * 0.2;
        }
  }
  const x = tf.tensor4d(xs, [n, 16, 16, 3]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 4);

  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });

  const losses: number[] = [];
  for (let step = 0; step < 40; step++) losses.push((await model.trainOnBatch(x, y)) as number);
  const first = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
  const last = losses.slice(-3).reduce((a, b) => a + b) / 3;
  expect(Number.isFinite(last)).toBe(true);
  expect(last).toBeLessThan(first * 0.5);

  model.dispose();
  tf.dispose([x, y]);
}, 30_000);
