/** Test helpers: a fresh store in a temporary folder, removed after the test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { openStore } from '../store.ts';
import type { OpenStoreOptions, RunStore } from '../types.ts';

const cleanups: (() => void)[] = [];

afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vgglab-store-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function tempStore(options: OpenStoreOptions = {}): RunStore {
  const store = openStore(join(tempDir(), 'runs', 'vgglab.db'), options);
  cleanups.unshift(() => store.close());
  return store;
}

/** A small resolved spec shaped like the runner's. */
export function spec(model = 'vgg11', optimizer = 'adam', lr = 1e-3, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'test', seed: 0, model: { name: model, inputShape: [32, 32, 3] }, optimizer: { name: optimizer, lr }, train: { epochs: 2 }, ...extra };
}
