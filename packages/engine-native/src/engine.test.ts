import * as tf from '@tensorflow/tfjs';
import { initEngine } from '@vgglab/core';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { loadAddon } from './addon.ts';
import { listNativeKernels } from './backend.ts';
import { describeNative } from './testing/native.ts';

const saved = { backend: process.env.VGGLAB_BACKEND, threads: process.env.VGGLAB_THREADS };
afterEach(() => {
  for (const [name, value] of [['VGGLAB_BACKEND', saved.backend], ['VGGLAB_THREADS', saved.threads]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describeNative('the native rung of the ladder', () => {
  beforeAll(() => {
    const load = loadAddon();
    if (!load.ok) throw new Error(`the native engine is not available: ${load.why}`);
  });

  it('auto picks native where the addon is built, naming what it skipped, and runs tf ops on it', async () => {
    delete process.env.VGGLAB_BACKEND;
    const lines: string[] = [];
    const info = await initEngine({ log: (l) => lines.push(l) });
    expect(info.backend).toBe('native');
    expect(tf.getBackend()).toBe('native');
    expect(info.reason).toMatch(/^oneDNN \d+\.\d+\.\d+ \(\w+\) through @vgglab\/engine-native \(tensorflow: neither .* is installed\), the fastest available$/);
    expect(lines).toEqual([`vgglab engine: backend native (1 thread): ${info.reason}`]);
    expect(Array.from(tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([2, 2, 1, 1]) as tf.Tensor4D, 1, 'valid').dataSync())).toEqual([4, 4, 4, 4]);
  });

  it('VGGLAB_BACKEND=native and VGGLAB_THREADS set the backend and oneDNN threads; a later request changes the threads', async () => {
    process.env.VGGLAB_BACKEND = 'native';
    process.env.VGGLAB_THREADS = '2';
    const info = await initEngine({ backend: 'cpu', log: () => {} });
    expect(info).toMatchObject({ backend: 'native', threads: 2, reason: expect.stringContaining('requested by VGGLAB_BACKEND') });
    const addon = loadAddon();
    expect(addon.ok && addon.addon.info().threads).toBe(2);
    delete process.env.VGGLAB_THREADS;
    const again = await initEngine({ threads: 1, log: () => {} });
    expect(again).toMatchObject({ backend: 'native', threads: 1 });
    expect(addon.ok && addon.addon.info().threads).toBe(1);
  });

  it('lists every replaced kernel with a reason, the ones the issue names among them', () => {
    const names = listNativeKernels().map((k) => k.kernelName);
    for (const name of ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', '_FusedMatMul', 'MaxPool', 'MaxPoolGrad', 'AvgPool', 'AvgPoolGrad', 'FusedBatchNorm', 'FusedBatchNorm (gradient)', 'Relu', 'Relu (gradient)']) {
      expect(names).toContain(name);
    }
    for (const k of listNativeKernels()) expect(k.why.length, k.kernelName).toBeGreaterThan(10);
  });
});
