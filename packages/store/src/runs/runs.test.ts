import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { spec, tempStore } from '../testing/temp.ts';

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('run lifecycle', () => {
  it('createExperiment is get-or-create by name', () => {
    const store = tempStore();
    const a = store.createExperiment('flowers');
    const b = store.createExperiment('flowers');
    expect(b).toEqual(a);
    expect(store.createExperiment('shapes').id).not.toBe(a.id);
    expect(store.listExperiments().map((e) => e.name)).toEqual(['flowers', 'shapes']);
  });

  it('createRun stores the reproducibility facts and flattens the resolved spec into params', () => {
    const store = tempStore();
    const resolved = spec('vgg16', 'sgd', 0.01);
    const run = store.createRun({
      experiment: 'flowers',
      specHash: 'sha256-of-the-spec',
      name: 'vgg16-sgd',
      specText: 'name: test\nmodel: { name: vgg16 }\n',
      resolvedSpec: resolved,
      seed: 7,
      gitCommit: 'abc123',
      packageVersions: { '@tensorflow/tfjs': '4.22.0' },
      backend: 'wasm',
      sweepValues: { 'model.name': 'vgg16' },
      tags: { purpose: 'test' },
    });
    const details = store.getRun(run.id)!;
    expect(details).toMatchObject({
      name: 'vgg16-sgd',
      experimentName: 'flowers',
      status: 'running',
      endTime: null,
      specText: 'name: test\nmodel: { name: vgg16 }\n',
      resolvedSpec: resolved,
      specHash: 'sha256-of-the-spec',
      seed: 7,
      gitCommit: 'abc123',
      packageVersions: { '@tensorflow/tfjs': '4.22.0' },
      backend: 'wasm',
      host: hostname(),
      pid: process.pid,
      sweepValues: { 'model.name': 'vgg16' },
      tags: { purpose: 'test' },
    });
    expect(details.params).toEqual({
      name: 'test',
      seed: '0',
      'model.name': 'vgg16',
      'model.inputShape': '[32,32,3]',
      'optimizer.name': 'sgd',
      'optimizer.lr': '0.01',
      'train.epochs': '2',
    });
    expect(run.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('findRunBySpecHash returns the newest run of the experiment with that hash', () => {
    const store = tempStore();
    const first = store.createRun({ specHash: 'hash-vgg11', experiment: 'sweep', resolvedSpec: spec('vgg11'), startTime: 1000 });
    const second = store.createRun({ specHash: 'hash-vgg11', experiment: 'sweep', resolvedSpec: spec('vgg11'), startTime: 2000 });
    store.createRun({ specHash: 'hash-vgg16', experiment: 'sweep', resolvedSpec: spec('vgg16'), startTime: 3000 });
    store.createRun({ specHash: 'hash-vgg11', experiment: 'other', resolvedSpec: spec('vgg11'), startTime: 4000 });
    expect(first.specHash).toBe('hash-vgg11');
    expect(store.findRunBySpecHash('sweep', 'hash-vgg11')?.id).toBe(second.id);
    expect(store.findRunBySpecHash('sweep', 'hash-vgg16')?.startTime).toBe(3000);
    expect(store.findRunBySpecHash('nope', 'hash-vgg11')).toBeUndefined();
  });

  it('createRun refuses a missing or empty specHash, naming it, and writes nothing', () => {
    const store = tempStore();
    const without = { experiment: 'e', resolvedSpec: spec() } as unknown as Parameters<typeof store.createRun>[0];
    expect(() => store.createRun(without)).toThrow(/createRun: specHash is required, a non-empty string .*received undefined/);
    expect(() => store.createRun({ specHash: '', experiment: 'e', resolvedSpec: spec() })).toThrow(/specHash is required.*received ""/);
    expect(() => store.createRun({ specHash: 42 as unknown as string, experiment: 'e', resolvedSpec: spec() })).toThrow(/specHash .*received 42/);
    expect(store.listRuns().total).toBe(0);
    expect(store.listExperiments()).toEqual([]);
  });

  it('setRunStatus sets the end time for terminal statuses and clears it for running; bad statuses are refused', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    store.setRunStatus(run.id, 'finished', { endTime: run.startTime + 5000 });
    expect(store.getRun(run.id)).toMatchObject({ status: 'finished', endTime: run.startTime + 5000, durationMs: 5000 });
    store.setRunStatus(run.id, 'running');
    expect(store.getRun(run.id)).toMatchObject({ status: 'running', endTime: null });
    expect(() => store.setRunStatus(run.id, 'done' as never)).toThrow('status must be one of running, finished, failed, killed, crashed, received "done"');
  });

  it('gcRuns marks running runs whose pid is gone (same host) as killed, and leaves live and finished ones', async () => {
    const store = tempStore();
    const gonePid = deadPid();
    const dead = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {}, pid: gonePid });
    const alive = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} }); // this process
    const finished = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {}, pid: gonePid });
    store.setRunStatus(finished.id, 'finished');
    const elsewhere = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {}, pid: gonePid, host: 'another-host' });

    expect(store.gcRuns({ dryRun: true }).killed).toEqual([dead.id]);
    // Its process is gone, so it reads as crashed; the dry run recorded nothing (the real gc below still finds it).
    expect(store.getRun(dead.id)!.status).toBe('crashed');
    expect(store.gcRuns().killed).toEqual([dead.id]);
    const killed = store.getRun(dead.id)!;
    expect(killed.status).toBe('killed');
    expect(killed.endTime).toBe(killed.heartbeatAt);
    expect(store.getRun(alive.id)!.status).toBe('running');
    expect(store.getRun(finished.id)!.status).toBe('finished');
    expect(store.getRun(elsewhere.id)!.status).toBe('running');
    // other hosts: only by a stale heartbeat, when asked
    expect(store.gcRuns({ staleAfterMs: 60_000 }).killed).toEqual([]);
    await new Promise((r) => setTimeout(r, 5)); // let the heartbeats age past 0 ms
    expect(store.gcRuns({ staleAfterMs: 0, isAlive: () => true, host: 'this-host' }).killed.sort()).toEqual([alive.id, elsewhere.id].sort());
  }, 30_000);

  it('resumeRun deletes points after the checkpoint step, recomputes latest/best, and re-logging leaves no duplicates', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const loss = (step: number): number => 10 / step;
    // the first attempt got to step 150; its last checkpoint was at step 100; val/acc was logged at 50, 100, 150
    for (let from = 1; from <= 150; from += 50) {
      store.logBatch(run.id, { metrics: Array.from({ length: 50 }, (_, i) => ({ key: 'train/loss', value: loss(from + i), step: from + i })) });
      store.logMetric(run.id, { key: 'val/acc', value: from === 101 ? 0.99 : 0.5, step: from + 49 });
    }
    store.logMetric(run.id, { key: 'only-after-checkpoint', value: 1, step: 120 });
    store.setRunStatus(run.id, 'killed');

    const resumed = store.resumeRun(run.id, { fromStep: 100, pid: 4242 });
    expect(resumed).toMatchObject({ status: 'running', endTime: null, pid: 4242 });
    let details = store.getRun(run.id)!;
    expect(details.metrics['train/loss']).toMatchObject({ step: 100, count: 100 });
    expect(details.metrics['val/acc']).toMatchObject({ step: 100, max: 0.5, count: 2 }); // the 0.99 at step 150 is gone
    expect(details.metrics['only-after-checkpoint']).toBeUndefined();

    for (let from = 101; from <= 200; from += 50) {
      store.logBatch(run.id, { metrics: Array.from({ length: 50 }, (_, i) => ({ key: 'train/loss', value: loss(from + i), step: from + i })) });
    }
    const history = store.getMetricHistory(run.id, 'train/loss');
    expect(history.map((p) => p.step)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    details = store.getRun(run.id)!;
    expect(details.metrics['train/loss']).toMatchObject({ step: 200, count: 200, min: loss(200), minStep: 200 });
    expect(store.deleteMetricsAfter(run.id, 190)).toBe(10);
    expect(store.getRun(run.id)!.metrics['train/loss']).toMatchObject({ step: 190, count: 190 });
  });

  it('resolveRunId accepts a unique prefix of 4+ characters', () => {
    const store = tempStore();
    const a = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {}, id: 'abcd1111' });
    store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {}, id: 'abcd2222' });
    expect(store.resolveRunId('abcd1')).toBe(a.id);
    expect(store.resolveRunId('abcd1111')).toBe(a.id);
    expect(() => store.resolveRunId('abcd')).toThrow(expect.objectContaining({ code: 'AMBIGUOUS' }));
    expect(() => store.resolveRunId('abc')).toThrow(/at least 4 characters/);
    expect(() => store.resolveRunId('ffff')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {}, id: 'abcd1111' })).toThrow(/already exists/);
    expect(() => store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {}, id: '../etc' })).toThrow(/id must match/);
  });

  it('deleteRun removes the run with its metrics, params, tags and artifacts', () => {
    const store = tempStore();
    const gone = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: spec(), tags: { a: 'b' } });
    const kept = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: spec() });
    for (const r of [gone, kept]) {
      store.logBatch(r.id, { metrics: [{ key: 'loss', value: 1, step: 1 }] });
      store.logArtifact(r.id, { kind: 'checkpoint-last', path: `runs/${r.id}/last` });
    }
    // a running run is refused (runs/edit.test.ts); this one ended
    store.setRunStatus(gone.id, 'finished');
    store.deleteRun(gone.id);
    expect(store.getRun(gone.id)).toBeUndefined();
    expect(store.getMetricsAfter({ afterId: 0 }).points.map((p) => p.runId)).toEqual([kept.id]);
    expect(store.listParamKeys()).toEqual(Object.keys(store.getRun(kept.id)!.params).sort());
    expect(store.listRuns().total).toBe(1);
  });
});

describe('artifacts and evaluations', () => {
  it('artifacts upsert on (run, kind, path): a new best checkpoint updates step and metadata', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const first = store.logArtifact(run.id, { kind: 'checkpoint-best', path: 'runs/x/best', step: 10, epoch: 1, metadata: { 'val/accuracy': 0.8 } });
    const second = store.logArtifact(run.id, { kind: 'checkpoint-best', path: 'runs/x/best', step: 30, epoch: 3, metadata: { 'val/accuracy': 0.9 } });
    store.logArtifact(run.id, { kind: 'checkpoint-last', path: 'runs/x/last', step: 40 });
    expect(second.id).toBe(first.id);
    expect(store.listArtifacts(run.id, 'checkpoint-best')).toEqual([expect.objectContaining({ step: 30, epoch: 3, metadata: { 'val/accuracy': 0.9 } })]);
    expect(store.getRun(run.id)!.artifacts.map((a) => a.kind)).toEqual(['checkpoint-best', 'checkpoint-last']);
  });

  it('evaluations keep accuracy, per-class precision/recall and the confusion matrix; bad shapes are refused', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'test-spec', experiment: 'e', resolvedSpec: {} });
    const evaluation = {
      dataset: 'val',
      checkpoint: 'runs/x/best',
      accuracy: 0.75,
      classNames: ['circle', 'square'],
      perClass: [
        { className: 'circle', precision: 1, recall: 0.5, support: 2 },
        { className: 'square', precision: 2 / 3, recall: 1, support: 2 },
      ],
      confusionMatrix: [
        [1, 1],
        [0, 2],
      ],
      extra: { loss: 0.4 },
    };
    const stored = store.logEvaluation(run.id, evaluation);
    expect(store.getRun(run.id)!.evaluations).toEqual([stored]);
    expect(stored).toMatchObject({ ...evaluation, runId: run.id, step: null, epoch: null });
    expect(() => store.logEvaluation(run.id, { ...evaluation, confusionMatrix: [[1, 1]] })).toThrow(/confusionMatrix must be 2x2/);
    expect(() => store.logEvaluation(run.id, { ...evaluation, accuracy: 75 })).toThrow('evaluation accuracy must be a number in [0, 1], received 75');
  });
});
