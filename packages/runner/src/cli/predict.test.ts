/** `vgglab predict` and `vgglab evaluate` on a trained tiny run, and the predict function `vgglab serve` gives the dashboard. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { METRIC } from '../defaults.ts';
import { createPredictFn } from '../inference/predict-server.ts';
import { createBuiltinRegistry } from '../plugins.ts';
import { testPlugins } from '../testing/plugins.ts';
import { root, run, runsIn, tinyYaml, tmp } from '../testing/cli.ts';

describe('vgglab predict and evaluate on a trained tiny run', () => {
  it('predicts class probabilities with the run preprocessing and stores an evaluation with a confusion matrix', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    const file = tinyYaml(dir, 'trained', '', { epochs: 4 });
    const trained = await run(['exp', file, '--db', db]);
    expect(trained.code, trained.stderr).toBe(0);
    const runId = runsIn(db)[0]!.id;

    // Image files the colour classes describe: one channel bright.
    const images = path.join(dir, 'images');
    const colours: Record<string, [number, number, number]> = { red: [230, 80, 90], green: [70, 225, 85], blue: [85, 75, 235] };
    for (const [name, rgb] of Object.entries(colours)) {
      fs.mkdirSync(path.join(images, name), { recursive: true });
      for (let i = 0; i < 3; i++) {
        const px = Buffer.alloc(8 * 8 * 3);
        for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) px[p * 3 + c] = Math.max(0, Math.min(255, rgb[c]! + ((p * 7 + i * 13 + c * 5) % 21) - 10));
        await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(path.join(images, name, `${i}.png`));
      }
    }
    const p = await run(['predict', '--run', runId, path.join(images, 'red', '0.png'), path.join(images, 'blue', '1.png'), '--top', '2', '--json', '--db', db]);
    expect(p.code, p.stderr).toBe(0);
    const out = JSON.parse(p.stdout);
    expect(out.predictions).toHaveLength(2);
    expect(out.predictions[0].top).toHaveLength(2);
    expect(out.predictions[0].top[0].className).toBe('red');
    expect(out.predictions[1].top[0].className).toBe('blue');
    const all = await run(['predict', '--run', runId, path.join(images, 'green', '2.png'), '--top', '3', '--json', '--db', db]);
    const sum = JSON.parse(all.stdout).predictions[0].top.reduce((a: number, t: { probability: number }) => a + t.probability, 0);
    expect(sum).toBeCloseTo(1, 4);

    const byCheckpoint = await run(['predict', '--checkpoint', path.join(dir, runId, 'checkpoints', 'best'), path.join(images, 'green', '0.png')]);
    expect(byCheckpoint.code, byCheckpoint.stderr).toBe(0);
    expect(byCheckpoint.stdout).toMatch(/green\/0\.png\n\s+\d+\.\d+%\s+green/);

    const e = await run(['evaluate', '--run', runId, '--data', images, '--json', '--db', db]);
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.samples).toBe(9);
    expect(ev.classNames).toEqual(['red', 'green', 'blue']);
    expect(ev.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(9);
    expect(ev.accuracy).toBeCloseTo(ev.confusionMatrix.reduce((a: number, row: number[], i: number) => a + row[i]!, 0) / 9, 6);
    expect(ev.accuracy).toBeGreaterThan(0.6);
    expect(ev.perClass.map((c: { support: number }) => c.support)).toEqual([3, 3, 3]);

    const val = await run(['evaluate', '--run', runId, '--db', db]);
    expect(val.code, val.stderr).toBe(0);
    expect(val.stdout).toMatch(/accuracy \d\.\d{4}/);
    expect(val.stdout).toContain('confusion matrix');

    const store = openStore(db, { readonly: true });
    const evaluations = store.listEvaluations(runId);
    store.close();
    expect(evaluations).toHaveLength(2);
    expect(evaluations.map((x) => x.dataset).sort()).toEqual([images, 'val'].sort());

    const shown = await run(['runs', 'show', runId, '--json', '--db', db]);
    const details = JSON.parse(shown.stdout);
    expect(details.metricHistory[METRIC.valAccuracy]).toHaveLength(4);
    expect(details.artifacts.map((a: { kind: string }) => a.kind).sort()).toEqual(['checkpoint-best', 'checkpoint-last']);
    const listed = await run(['runs', '--json', '--status', 'finished', '--limit', '5', '--db', db]);
    expect(JSON.parse(listed.stdout).runs.map((r: { id: string }) => r.id)).toEqual([runId]);
    const none = await run(['runs', '--status', 'killed', '--db', db]);
    expect(none.stdout).toBe('no runs\n');

    // The predict function `vgglab serve` gives the dashboard: run id + uploaded bytes -> every class.
    await tf.setBackend('cpu');
    const predict = createPredictFn(db, createBuiltinRegistry(testPlugins()));
    const served = await predict(runId.slice(0, 8), fs.readFileSync(path.join(images, 'red', '1.png')));
    expect(served.map((p) => p.label).sort()).toEqual(['blue', 'green', 'red']);
    expect(served[0]!.label).toBe('red');
    expect(served.reduce((a, p) => a + p.probability, 0)).toBeCloseTo(1, 4);
    // A bad upload is the client's 400, worded without the server's temporary file.
    const bad = await predict(runId, Buffer.from('not an image')).catch((error: Error) => error);
    expect(bad).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^cannot read the uploaded image: \S/) });
    expect((bad as Error).message).not.toContain(os.tmpdir());
  }, 120_000);
});

/**
 * The root README's "Writing a model plugin" guide, done as it says with the real example file: the commands
 * and the spec fields it shows must keep working (the spec here is the README's, made tiny).
 */
