import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PARAM_KEYS, TABLE_PARAM_KEYS, paramSortKey } from './param-keys.ts';
import { spec, tempStore } from './testing/temp.ts';

/** The CommonJS modules (where TensorFlow.js's node build and better-sqlite3 load) after importing `specifier`. */
function loadedBy(specifier: string): string[] {
  const code = `
    const { createRequire } = await import('node:module');
    await import(${JSON.stringify(specifier)});
    console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  if (result.status !== 0) throw new Error(`importing ${specifier} failed: ${result.stderr}`);
  const loaded = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as string[];
  return loaded.filter((m) => !/node_modules[/\\](tsx|esbuild)[/\\]/.test(m)); // the TypeScript loader itself
}

describe('the public surface', () => {
  it('importing the store loads SQLite but not TensorFlow.js (canonicalJson comes from core without core’s index)', () => {
    const store = loadedBy(fileURLToPath(new URL('./index.ts', import.meta.url)));
    expect(store.some((m) => m.includes('better-sqlite3'))).toBe(true);
    expect(store.filter((m) => m.includes('@tensorflow'))).toEqual([]);
    // the check sees TensorFlow.js when it is loaded: core's index does load it
    expect(loadedBy('@vgglab/core').some((m) => m.includes('@tensorflow'))).toBe(true);
  }, 60_000);

  it('the param-keys subpath imports nothing (the browser takes it), and resolves as @vgglab/store/param-keys', async () => {
    expect(readFileSync(new URL('./param-keys.ts', import.meta.url), 'utf8')).not.toMatch(/^\s*import\b/m);
    expect((await import('@vgglab/store/param-keys')).PARAM_KEYS).toBe(PARAM_KEYS);
  });

  it('PARAM_KEYS name the params a resolved spec flattens to, which the run list filters on', () => {
    const store = tempStore();
    const run = store.createRun({ experiment: 'e', specHash: 'h', resolvedSpec: spec('vgg16', 'sgd', 0.01) });
    const params = store.getRun(run.id)!.params;
    expect(TABLE_PARAM_KEYS.map((k) => params[k])).toEqual(['vgg16', 'sgd', '0.01']);
    expect(store.listRuns({ model: params[PARAM_KEYS.modelName], optimizer: params[PARAM_KEYS.optimizerName] }).total).toBe(1);
    expect(store.listRuns({ sortBy: paramSortKey(PARAM_KEYS.learningRate) }).total).toBe(1);
  });
});
