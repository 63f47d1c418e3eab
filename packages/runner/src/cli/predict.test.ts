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
    // No evaluation when training ends: this test counts the ones `vgglab evaluate` stores.
    const file = tinyYaml(dir, 'trained', '  evaluate: false', { epochs: 4 });
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

describe('vgglab predict and evaluate with unreadable files among good ones', () => {
  let trainedRun: Promise<{ dir: string; db: string; runId: string }> | undefined;
  /** One tiny trained run for the tests of this block. */
  const trained = () =>
    (trainedRun ??= (async () => {
      const dir = tmp();
      const db = path.join(dir, 'v.db');
      const r = await run(['exp', tinyYaml(dir, 'bad-inputs', '', { epochs: 1 }), '--db', db]);
      expect(r.code, r.stderr).toBe(0);
      return { dir, db, runId: runsIn(db)[0]!.id };
    })());
  /** A colour image, `size` pixels square, as PNG or JPEG bytes. */
  const colourImage = (rgb: [number, number, number], size: number, format: 'png' | 'jpeg', seed = 0) => {
    const px = Buffer.alloc(size * size * 3);
    for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) px[p * 3 + c] = Math.max(0, Math.min(255, rgb[c]! + ((p * 7 + seed * 13 + c * 5) % 21) - 10));
    return sharp(px, { raw: { width: size, height: size, channels: 3 } })[format]().toBuffer();
  };

  it('predict reports each bad file with its reason, predicts the others, exits 3 (1 when none could be read)', async () => {
    const { dir, db, runId } = await trained();
    const px = Buffer.alloc(8 * 8 * 3, 0);
    for (let p = 0; p < 64; p++) px[p * 3] = 230;
    await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(path.join(dir, 'red.png'));
    const jpeg = await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).jpeg().toBuffer();
    fs.writeFileSync(path.join(dir, 'red.jpg'), jpeg);
    fs.writeFileSync(path.join(dir, 'cut.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
    fs.writeFileSync(path.join(dir, 'notes.jpg'), 'these are my notes, not a photo\n');
    const inputs = ['red.png', 'cut.jpg', 'notes.jpg', 'gone.jpg', 'red.jpg'];

    const j = await run(['predict', '--run', runId, ...inputs, '--json', '--db', db], { cwd: dir });
    expect(j.code, j.stderr).toBe(3);
    const out = JSON.parse(j.stdout);
    expect(out.predictions.map((p: { file: string }) => p.file)).toEqual(['red.png', 'red.jpg']);
    expect(out.predictions.every((p: { top: unknown[] }) => p.top.length === 3)).toBe(true);
    expect(out.unreadable.map((u: { file: string }) => u.file)).toEqual(['cut.jpg', 'notes.jpg', 'gone.jpg']);
    const [cut, notes, gone] = out.unreadable.map((u: { reason: string }) => u.reason);
    expect(cut).toMatch(/^truncated/);
    expect(notes).toMatch(/not an image|unsupported/);
    expect(gone).toBe('no such file');
    const stderrLines = j.stderr.split('\n').filter((l) => l.startsWith('vgglab: ')).filter((l) => !l.startsWith('vgglab engine'));
    expect(stderrLines).toEqual([
      `vgglab: cannot read image cut.jpg: ${cut}`,
      `vgglab: cannot read image notes.jpg: ${notes}`,
      'vgglab: cannot read image gone.jpg: no such file',
      'vgglab: 3 of 5 images could not be read; predicted the other 2',
    ]);

    const text = await run(['predict', '--run', runId, ...inputs, '--top', '1', '--db', db], { cwd: dir });
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/^red\.png\n\s+\d+\.\d+%\s+\w+\nred\.jpg\n\s+\d+\.\d+%\s+\w+\n$/);

    const none = await run(['predict', '--run', runId, 'notes.jpg', 'gone.jpg', '--db', db], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('vgglab: 2 of 2 images could not be read\n');
  }, 120_000);

  it('evaluate --data counts only readable images (samples, support, confusion matrix) and lists each skipped file once', async () => {
    const { dir, db, runId } = await trained();
    const images = path.join(dir, 'eval-images');
    const colours: Record<string, [number, number, number]> = { red: [230, 80, 90], green: [70, 225, 85], blue: [85, 75, 235] };
    for (const [name, rgb] of Object.entries(colours)) {
      fs.mkdirSync(path.join(images, name), { recursive: true });
      for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(images, name, `${i}.png`), await colourImage(rgb, 8, 'png', i));
    }
    // Truncated JPEGs: their headers are whole, so they are found bad only while decoding (where the loader
    // used to put another image in their place); a text file named .jpg is found when the folder opens.
    const big = await colourImage(colours.red!, 64, 'jpeg');
    fs.writeFileSync(path.join(images, 'red', 'cut.jpg'), big.subarray(0, big.length >> 1));
    fs.writeFileSync(path.join(images, 'blue', 'cut.jpg'), big.subarray(0, big.length >> 1));
    fs.writeFileSync(path.join(images, 'green', 'notes.jpg'), 'not a photo\n');

    const e = await run(['evaluate', '--run', runId, '--data', images, '--batch-size', '5', '--json', '--db', db]);
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.samples).toBe(12);
    expect(ev.classNames).toEqual(['red', 'green', 'blue']);
    expect(ev.perClass.map((c: { support: number }) => c.support)).toEqual([4, 4, 4]);
    expect(ev.confusionMatrix.map((row: number[]) => row.reduce((a, b) => a + b, 0))).toEqual([4, 4, 4]);
    expect(ev.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(12);
    expect(ev.extra).toEqual({ loss: ev.loss, samples: 12, folder: images });
    const skipped = ev.skipped as { file: string; reason: string }[];
    expect(skipped.map((s) => path.relative(images, s.file)).sort()).toEqual(['blue/cut.jpg', 'green/notes.jpg', 'red/cut.jpg']);
    for (const s of skipped) expect(s.reason).toMatch(s.file.endsWith('cut.jpg') ? /^truncated/ : /not an image/);
    // Each bad file appears once in the warnings, with its reason.
    for (const s of skipped) expect(e.stderr.split(s.file).length - 1, s.file).toBe(1);
    expect(e.stderr).toMatch(/found while loading; left out/);

    const store = openStore(db, { readonly: true });
    const stored = store.listEvaluations(runId).find((x) => x.dataset === images)!;
    store.close();
    expect(stored.extra).toMatchObject({ samples: 12, folder: images });
    expect((stored.extra.skipped as unknown[]).length).toBe(3);
    expect(stored.extra).not.toHaveProperty('split');

    const text = await run(['evaluate', '--run', runId, '--data', images, '--db', db]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`on folder ${images} (12 images, 3 unreadable files left out (listed in the warnings), checkpoint`);
    const val = await run(['evaluate', '--run', runId, '--json', '--db', db]);
    expect(JSON.parse(val.stdout).extra).toMatchObject({ split: 'val' });
  }, 120_000);
});

/**
 * The root README's "Writing a model plugin" guide, done as it says with the real example file: the commands
 * and the spec fields it shows must keep working (the spec here is the README's, made tiny).
 */
