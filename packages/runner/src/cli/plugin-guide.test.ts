/**
 * The root README's "Writing a model plugin" guide through the real CLI: models-vgg's examples/tiny-cnn.ts
 * listed, trained, and found from a spec's own `plugins:`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { METRIC } from '../defaults.ts';
import { cli, run, tmp } from '../testing/cli.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

describe("the README's model plugin guide (examples/tiny-cnn.ts through the real CLI)", () => {
  const EXAMPLE = path.resolve(HERE, '..', '..', '..', 'models-vgg', 'examples', 'tiny-cnn.ts');
  // Only what the README loads: no test plugins from VGGLAB_PLUGINS.
  const env = { VGGLAB_PLUGINS: '', VGGLAB_BACKEND: 'cpu' };

  it("vgglab models 'tiny*' --plugin ./tiny-cnn.ts lists tiny_cnn with its parameter count", async () => {
    const r = await run(['models', 'tiny*', '--plugin', EXAMPLE, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; plugin: string; params: number; inputShape: number[] }[];
    expect(rows.map((x) => [x.name, x.plugin])).toEqual([['tiny_cnn', 'tiny-cnn']]);
    // Defaults: 32x32x3, 10 classes, filters 8 then 16: conv 3x3x3x8+8, conv 3x3x8x16+16, dense 16x10+10.
    expect(rows[0]!.params).toBe(3 * 3 * 3 * 8 + 8 + (3 * 3 * 8 * 16 + 16) + (16 * 10 + 10));
    expect(rows[0]!.inputShape).toEqual([32, 32, 3]);
    // Without the plugin there is no such model.
    const without = await run(['models', 'tiny*'], { env });
    expect(without.stdout).toContain("no model matches 'tiny*'");
  }, 120_000);

  it('vgglab exp experiments/tiny-shapes.yaml --plugin ./tiny-cnn.ts trains tiny_cnn on shapes to a finished run', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'experiments'));
    fs.writeFileSync(
      path.join(dir, 'experiments', 'tiny-shapes.yaml'),
      [
        'name: tiny-shapes',
        'model:',
        '  name: tiny_cnn',
        '  inputShape: [16, 16, 3]',
        '  options: { filters: 4, blocks: 2 }',
        '  freeze: none',
        'data:',
        '  name: shapes',
        '  options: { classes: 3, trainCount: 60, valCount: 20 }',
        'optimizer: { name: adam, lr: 0.001 }',
        'train: { epochs: 2 }',
        '',
      ].join('\n'),
    );
    const r = await run(['exp', 'experiments/tiny-shapes.yaml', '--plugin', EXAMPLE], { env, cwd: dir });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // The default store: runs/vgglab.db where the command was run.
    const store = openStore(path.join(dir, 'runs', 'vgglab.db'));
    try {
      const runs = store.listRuns().runs;
      expect(runs).toHaveLength(1);
      const stored = store.getRun(runs[0]!.id)!;
      expect(stored.status).toBe('finished');
      expect(stored.experimentName).toBe('tiny-shapes');
      expect([stored.params['model.name'], stored.params['data.name'], stored.params['model.options.filters']]).toEqual(['tiny_cnn', 'shapes', '4']);
      expect(store.getMetricHistory(stored.id, METRIC.trainEpochLoss)).toHaveLength(2);
      expect(stored.artifacts.map((a) => a.kind).sort()).toEqual(['checkpoint-best', 'checkpoint-last']);
    } finally {
      store.close();
    }
  }, 120_000);

  it("a spec's plugins: loads the module (relative to the spec) without --plugin; the run's predict finds it; naming it twice is no duplicate", async () => {
    const dir = tmp();
    const specDir = path.join(dir, 'experiments');
    fs.mkdirSync(specDir);
    const spec = (plugins: string) =>
      [
        'name: tiny-spec-plugins',
        `plugins: [${plugins}]`,
        'model: { name: tiny_cnn, inputShape: [16, 16, 3], options: { filters: 4, blocks: 2 } }',
        'data: { name: shapes, options: { classes: 3, trainCount: 30, valCount: 9 } }',
        'optimizer: { name: adam, lr: 0.001 }',
        'train: { epochs: 1 }',
        '',
      ].join('\n');
    fs.writeFileSync(path.join(specDir, 'ok.yaml'), spec(JSON.stringify(path.relative(specDir, EXAMPLE))));
    fs.writeFileSync(path.join(specDir, 'missing.yaml'), spec('./no-such-plugin.ts'));

    const missing = await cli(['exp', path.join(specDir, 'missing.yaml')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing\.yaml: plugins\[0\]: cannot load plugin module '\.\/no-such-plugin\.ts'/);

    // The same module from the spec and from --plugin: registered once, not a duplicate-name error.
    const r = await run(['exp', 'experiments/ok.yaml', '--plugin', EXAMPLE], { env, cwd: dir });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const store = openStore(path.join(dir, 'runs', 'vgglab.db'));
    let runId: string;
    try {
      const runs = store.listRuns().runs;
      expect(runs.map((x) => x.status)).toEqual(['finished']);
      runId = runs[0]!.id;
    } finally {
      store.close();
    }
    // predict rebuilds tiny_cnn from the run's own spec plugins: no --plugin given.
    const image = path.join(dir, 'image.png');
    await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toFile(image);
    const predicted = await run(['predict', '--run', runId, image, '--json'], { env, cwd: dir });
    expect(predicted.code, predicted.stderr).toBe(0);
    const top = (JSON.parse(predicted.stdout) as { predictions: { top: { probability: number }[] }[] }).predictions[0]!.top;
    expect(top).toHaveLength(3);
    expect(top.reduce((a, t) => a + t.probability, 0)).toBeCloseTo(1, 4);
  }, 180_000);
});
