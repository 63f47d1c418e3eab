/**
 * `vgglab exp` in child processes, as a user's process: SIGKILL then resume, Ctrl-C, two writers on one
 * store, a sweep with --workers 2. The children load the tiny test plugins and train on `cpu` in seconds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '@vgglab/store';
import { METRIC } from '../defaults.ts';
import { exited, metricRows, run, runsIn, start, tinyYaml, tmp, waitFor } from '../testing/cli.ts';

describe('vgglab exp in child processes', () => {
  it('resumes after SIGKILL mid-epoch: same epochs, metric rows without duplicates, same as an uninterrupted run', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    // Uninterrupted reference.
    const refFile = tinyYaml(dir, 'ref', '', { epochs: 3 });
    const ref = await run(['exp', refFile, '--db', path.join(dir, 'ref.db')]);
    expect(ref.code, ref.stderr).toBe(0);
    const refRun = runsIn(path.join(dir, 'ref.db'))[0]!;
    const refRows = metricRows(path.join(dir, 'ref.db'), refRun.id);

    // 400 ms per batch: the store sees points within a second (the queue's flush), i.e. within ~3 steps.
    const file = tinyYaml(dir, 'ref', '', { epochs: 3, delayMs: 400 });
    const child = start(['exp', file, '--db', db]);
    const done = exited(child);
    // Kill it in the middle of the second epoch (global steps 7..12), after epoch 1's checkpoint.
    await waitFor('step 9 in the store', () => {
      if (!fs.existsSync(db)) return false;
      const runs = runsIn(db);
      if (!runs[0]) return false;
      return (metricRows(db, runs[0].id)[METRIC.trainLoss] ?? []).some((p) => p.step >= 8);
    });
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    const runId = runsIn(db)[0]!.id;
    expect(runsIn(db)[0]!.status).toBe('crashed'); // its process is gone: shown at once; gc records it as killed
    // Points after the epoch-1 checkpoint (step 6) were logged before the kill: resume must drop them.
    expect(metricRows(db, runId)[METRIC.trainLoss]!.some((p) => p.step > 6)).toBe(true);
    expect(metricRows(db, runId)[METRIC.valAccuracy]).toHaveLength(1);

    const gc = await run(['runs', 'gc', '--db', db]);
    expect(gc.code).toBe(0);
    expect(gc.stdout).toContain(runId);
    expect(runsIn(db)[0]!.status).toBe('killed');

    const resumed = await run(['exp', '--resume', runId.slice(0, 8), '--db', db]);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.stdout).toMatch(/resuming run .* at epoch 2, step 0 \(global step 6\)/);
    const after = runsIn(db);
    expect(after).toHaveLength(1);
    expect(after[0]!.status).toBe('finished');
    const rows = metricRows(db, runId);
    expect(rows[METRIC.valAccuracy]!.map((p) => p.epoch)).toEqual([0, 1, 2]);
    for (const [key, points] of Object.entries(rows)) {
      const steps = points.map((p) => p.step);
      expect(new Set(steps).size, key).toBe(steps.length);
    }
    expect(rows[METRIC.trainLoss]!.map((p) => p.step)).toEqual(refRows[METRIC.trainLoss]!.map((p) => p.step));
    // Same seed, same data order, same optimizer state: the resumed run matches the uninterrupted one.
    rows[METRIC.trainLoss]!.forEach((p, i) => expect(p.value).toBeCloseTo(refRows[METRIC.trainLoss]![i]!.value, 4));
    expect(rows[METRIC.valAccuracy]!.map((p) => p.value)).toEqual(refRows[METRIC.valAccuracy]!.map((p) => p.value));
  }, 120_000);

  it('Ctrl-C finishes the step, writes a checkpoint, marks the run killed (exit 130); --resume finishes it', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    const file = tinyYaml(dir, 'ctrlc', '', { epochs: 2, delayMs: 400 });
    const child = start(['exp', file, '--db', db]);
    const done = exited(child);
    await waitFor('step 3', () => / step [3-6]\/6/.test(child.output()) || (fs.existsSync(db) && runsIn(db).length > 0 && (metricRows(db, runsIn(db)[0]!.id)[METRIC.trainLoss] ?? []).length >= 3));
    child.kill('SIGINT');
    const { code } = await done;
    expect(code, child.output()).toBe(130);
    expect(child.output()).toContain('checkpoint written');
    const [r] = runsIn(db);
    expect(r!.status).toBe('killed');
    const state = JSON.parse(fs.readFileSync(path.join(dir, r!.id, 'checkpoints', 'last', 'state.json'), 'utf8'));
    expect(state.stepInEpoch).toBeGreaterThan(0);
    const resumed = await run(['exp', '--resume', r!.id, '--db', db]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(runsIn(db)[0]!.status).toBe('finished');
    expect(metricRows(db, r!.id)[METRIC.trainLoss]!.map((p) => p.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  }, 120_000);

  it('two processes log to one store at once without errors', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    const a = tinyYaml(dir, 'a', '', { epochs: 2 });
    const b = tinyYaml(dir, 'b', '', { epochs: 2 });
    const [ra, rb] = await Promise.all([run(['exp', a, '--db', db]), run(['exp', b, '--db', db])]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const runs = runsIn(db);
    expect(runs.map((r) => r.experimentName).sort()).toEqual(['a', 'b']);
    for (const r of runs) {
      expect(r.status).toBe('finished');
      expect(metricRows(db, r.id)[METRIC.trainLoss]).toHaveLength(12);
    }
  }, 120_000);

  it('a 2x2 sweep with --workers 2 runs four runs under one experiment; running it again resumes the interrupted one and skips finished ones', async () => {
    const dir = tmp();
    const db = path.join(dir, 'v.db');
    const file = tinyYaml(dir, 'sweep', 'sweep:\n  optimizer.name: [plain-sgd, plain-adam]\n  optimizer.lr: [0.01, 0.05]\n', { epochs: 1 });
    const r = await run(['exp', file, '--workers', '2', '--db', db]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('sweep sweep: 4 points, 4 to run, 0 skipped; workers 2');
    const runs = runsIn(db);
    expect(runs).toHaveLength(4);
    expect(new Set(runs.map((x) => x.experimentName))).toEqual(new Set(['sweep']));
    expect(runs.every((x) => x.status === 'finished')).toBe(true);
    expect(new Set(runs.map((x) => `${x.params['optimizer.name']}@${x.params['optimizer.lr']}`)).size).toBe(4);
    // Each run is named by the values that vary in the sweep, and records the command the user typed.
    expect(runs.map((x) => x.name).sort()).toEqual(['plain-adam · lr 0.01', 'plain-adam · lr 0.05', 'plain-sgd · lr 0.01', 'plain-sgd · lr 0.05']);
    for (const x of runs) expect(x.command).toEqual(['vgglab', 'exp', file, '--db', db, '--workers', '2']);
    expect(new Set(runs.map((x) => x.pid)).size).toBeGreaterThan(1);
    // One run interrupted (as Ctrl-C leaves it): running the sweep again resumes that one and skips the rest.
    const interrupted = runs[0]!.id;
    const w = openStore(db);
    w.setRunStatus(interrupted, 'killed');
    w.close();
    const again = await run(['exp', file, '--workers', '2', '--db', db]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('4 points, 1 to run, 3 skipped');
    expect(again.stdout).toContain(`resuming run ${interrupted}`);
    const final = runsIn(db);
    expect(final).toHaveLength(4);
    expect(final.every((x) => x.status === 'finished')).toBe(true);
    const third = await run(['exp', file, '--db', db]);
    expect(third.stdout).toContain('4 points, 0 to run, 4 skipped');
  }, 120_000);
});
