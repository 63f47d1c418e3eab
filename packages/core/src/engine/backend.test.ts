import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineError, getEngineInfo, initEngine, shutdownEngine } from './backend.ts';

// The native engine as it answers on a machine without libdnnl: this file tests the ladder below it (wasm,
// cpu) and the skip line. engine-native's own tests start the real one.
const NO_LIBDNNL = 'libdnnl not found: apt-get install libdnnl-dev, then npm rebuild @vgglab/engine-native';
vi.mock('@vgglab/engine-native', () => ({ startNativeEngine: () => ({ ok: false, why: NO_LIBDNNL }) }));

// vitest isolates test files, so this file owns the engine state it sees.
const savedEnv = { backend: process.env.VGGLAB_BACKEND, threads: process.env.VGGLAB_THREADS };

beforeEach(() => {
  delete process.env.VGGLAB_BACKEND;
  delete process.env.VGGLAB_THREADS;
});
afterEach(() => {
  for (const [name, value] of [['VGGLAB_BACKEND', savedEnv.backend], ['VGGLAB_THREADS', savedEnv.threads]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('the backend ladder', () => {
  it('refuses tensorflow when no native package is installed, naming both packages and the way out', async () => {
    process.env.VGGLAB_BACKEND = 'tensorflow';
    const error = await initEngine({ log: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toBe(
      "backend 'tensorflow' requested by VGGLAB_BACKEND but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed; install @tensorflow/tfjs-node (or -gpu) 4.22.0, or use wasm",
    );
    delete process.env.VGGLAB_BACKEND;
    await expect(initEngine({ backend: 'tensorflow', log: () => {} })).rejects.toThrow(
      "backend 'tensorflow' requested by the backend option but neither",
    );
    expect(getEngineInfo()).toBeUndefined();
  });

  it('rejects an unknown backend name and a bad thread count, quoting the value', async () => {
    process.env.VGGLAB_BACKEND = 'gpu';
    await expect(initEngine({ log: () => {} })).rejects.toThrow(
      "VGGLAB_BACKEND must be one of auto, tensorflow, native, wasm, cpu; received 'gpu'",
    );
    delete process.env.VGGLAB_BACKEND;
    await expect(initEngine({ threads: 0, log: () => {} })).rejects.toThrow(
      'threads option must be an integer from 1 to 64; received 0',
    );
    await expect(initEngine({ backend: 'wasm', threads: 9, log: () => {} })).rejects.toThrow(
      "backend 'wasm' requested by the backend option but the wasm backend failed to start: wasm runs at most 8 threads (XNNPACK's pool); 9 requested",
    );
  });


  it('auto picks wasm here (no native package), says why once, and is idempotent', async () => {
    const lines: string[] = [];
    const info = await initEngine({ log: (l) => lines.push(l) });
    expect(info).toEqual({
      backend: 'wasm',
      threads: 1, // vitest default: one thread
      reason: expect.stringContaining('neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed'),
      tfjsVersion: tf.version_core,
    });
    expect(tf.getBackend()).toBe('wasm');
    expect(lines).toEqual([`vgglab engine: backend wasm (1 thread): ${info.reason}`]);

    const again = await initEngine({ log: (l) => lines.push(l) });
    expect(again).toBe(info);
    expect(lines).toHaveLength(1);
    expect(getEngineInfo()).toBe(info);
  });

  it('says why native was skipped, in one line ending with what to do, and refuses it when asked for', async () => {
    const info = await initEngine({ log: () => {} });
    expect(info.backend).toBe('wasm');
    expect(info.reason).toContain(`; native: ${NO_LIBDNNL}; wasm`);
    await expect(initEngine({ backend: 'native', log: () => {} })).rejects.toThrow(
      `backend 'native' requested by the backend option but ${NO_LIBDNNL}`,
    );
    process.env.VGGLAB_BACKEND = 'native';
    await expect(initEngine({ log: () => {} })).rejects.toThrow(`backend 'native' requested by VGGLAB_BACKEND but ${NO_LIBDNNL}`);
  });

  it('VGGLAB_BACKEND overrides the option; asking for another backend later switches and logs it', async () => {
    await initEngine({ log: () => {} });
    const lines: string[] = [];
    process.env.VGGLAB_BACKEND = 'cpu';
    const info = await initEngine({ backend: 'wasm', log: (l) => lines.push(l) });
    expect(info.backend).toBe('cpu');
    expect(info.reason).toContain('requested by VGGLAB_BACKEND');
    expect(tf.getBackend()).toBe('cpu');
    expect(lines[0]).toMatch(/^vgglab engine: switched from wasm to backend cpu: /);
    delete process.env.VGGLAB_BACKEND;
    expect((await initEngine({ backend: 'wasm', log: () => {} })).backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('a different wasm thread count after wasm started is a clear error', async () => {
    await initEngine({ backend: 'wasm', log: () => {} });
    await expect(initEngine({ backend: 'wasm', threads: 2, log: () => {} })).rejects.toThrow(
      'wasm already started with 1 thread(s); 2 requested',
    );
  });

  it('shutdownEngine forgets the choice so the next initEngine starts again', async () => {
    await initEngine({ log: () => {} });
    await shutdownEngine();
    expect(getEngineInfo()).toBeUndefined();
    const lines: string[] = [];
    const info = await initEngine({ backend: 'cpu', log: (l) => lines.push(l) });
    expect(info.backend).toBe('cpu');
    expect(lines).toHaveLength(1);
    await expect(initEngine({ backend: 'wasm', log: () => {} })).rejects.toThrow(
      "backend 'wasm' requested by the backend option but the wasm backend failed to start: it was shut down in this process",
    );
  });
});
