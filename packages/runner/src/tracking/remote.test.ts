/**
 * A machine without the store logs to the tracking server (`VGGLAB_TRACKING_URI`): `exp` trains and uploads its
 * checkpoints, `runs` lists and shows the server's runs, `predict` and `evaluate` on yet another machine (another
 * folder) download the run's checkpoint, and the evaluation is stored on the server. Real processes on loopback,
 * stopped by their pids after the test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { stopAll, sweepYaml, tmp, trackingServer, vgglab } from '../testing/scaleout.ts';

afterEach(stopAll);

describe('runs on other machines through the tracking server', () => {
  it('exp, runs, predict and evaluate with VGGLAB_TRACKING_URI', async () => {
    const dir = tmp();
    const server = await trackingServer(dir);
    const env = { VGGLAB_TRACKING_URI: server.url };
    const file = sweepYaml(dir, 'remote');
    const trained = await vgglab(['exp', file], path.join(dir, 'trainer'), env);
    expect(trained.code, trained.output).toBe(0);
    // Nothing of the store on the training machine: the run is on the server, its checkpoints too.
    expect(fs.existsSync(path.join(dir, 'trainer', 'runs', 'vgglab.db'))).toBe(false);
    const store = openStore(server.dbFile, { readonly: true });
    const [summary] = store.listRuns().runs;
    const run = store.getRun(summary!.id)!;
    store.close();
    expect(run).toMatchObject({ status: 'finished', attempt: 1 });
    expect(run.artifacts.map((a) => a.kind).sort()).toEqual(['checkpoint-best', 'checkpoint-last']);
    expect(run.artifacts.every((a) => /^[0-9a-f]{64}$/.test(a.sha256 ?? ''))).toBe(true);

    const listed = await vgglab(['runs', '--json'], path.join(dir, 'laptop'), env);
    expect(JSON.parse(listed.stdout).runs.map((r: { id: string }) => r.id)).toEqual([run.id]);
    const shown = await vgglab(['runs', 'show', run.id.slice(0, 8), '--json'], path.join(dir, 'laptop'), env);
    const details = JSON.parse(shown.stdout);
    expect(details.metricHistory['val/accuracy'].map((p: { epoch: number }) => p.epoch)).toEqual([0, 1, 2]);
    expect((await vgglab(['runs', 'gc'], path.join(dir, 'laptop'), env)).output).toMatch(/runs gc works on the store file: run it on the tracking server's machine/);

    const image = path.join(dir, 'red.png');
    const px = Buffer.alloc(8 * 8 * 3);
    for (let i = 0; i < 64; i++) px.set([230, 40, 40], i * 3);
    await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(image);
    const predicted = await vgglab(['predict', '--run', run.id, image, '--json'], path.join(dir, 'laptop'), env);
    expect(predicted.code, predicted.output).toBe(0);
    expect(JSON.parse(predicted.stdout).predictions[0].top[0].className).toBe('red');

    const evaluated = await vgglab(['evaluate', '--run', run.id, '--json'], path.join(dir, 'laptop'), env);
    expect(evaluated.code, evaluated.output).toBe(0);
    const after = openStore(server.dbFile, { readonly: true });
    // The one exp made when training ended, and the one `evaluate` made: both on the server.
    expect(after.listEvaluations(run.id).map((e) => `${e.dataset} ${e.extra.after ?? 'evaluate'}`).sort()).toEqual(['val evaluate', 'val training']);
    after.close();
  }, 120_000);
});
