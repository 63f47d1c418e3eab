import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../storage/schema.ts';
import { openStore } from '../store.ts';
import { spec, tempDir, tempStore } from '../testing/temp.ts';

const conflict = expect.objectContaining({ code: 'CONFLICT' });

describe('attempts and fencing', () => {
  it('a run starts at attempt 1; each resume is a new attempt, and writes of an older one are refused whole', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: spec() });
    expect(run.attempt).toBe(1);
    store.logBatch(run.id, { metrics: [{ key: 'loss', value: 1, step: 1 }] }, { attempt: 1 });
    const resumed = store.resumeRun(run.id, { fromStep: 1 });
    expect(resumed).toMatchObject({ attempt: 2, status: 'running', fromStep: 1, resumedFrom: null });
    expect(store.getRun(run.id)!.attempt).toBe(2);

    // Attempt 1 (a worker that lost its job) tries every kind of write: each is refused and leaves nothing.
    const stale = { attempt: 1 };
    expect(() =>
      store.logBatch(run.id, { metrics: [{ key: 'loss', value: 9, step: 2 }], params: [{ key: 'x', value: '1' }], tags: [{ key: 't', value: 'v' }] }, stale),
    ).toThrow(/is at attempt 2; this write of attempt 1 was refused/);
    expect(() => store.heartbeat(run.id, undefined, stale)).toThrow(conflict);
    expect(() => store.setRunStatus(run.id, 'finished', stale)).toThrow(conflict);
    expect(() => store.logArtifact(run.id, { kind: 'checkpoint-last', path: 'x', step: 2 }, stale)).toThrow(conflict);
    expect(() => store.deleteMetricsAfter(run.id, 0, stale)).toThrow(conflict);
    const details = store.getRun(run.id)!;
    expect(details.metrics.loss).toMatchObject({ count: 1, value: 1 });
    expect(details.params.x).toBeUndefined();
    expect(details.tags.t).toBeUndefined();
    expect(details.artifacts).toEqual([]);
    expect(details.status).toBe('running');

    // The current attempt writes; a write without an attempt (a run on this machine) is not checked.
    store.logBatch(run.id, { metrics: [{ key: 'loss', value: 0.5, step: 2 }] }, { attempt: 2 });
    store.logMetric(run.id, { key: 'loss', value: 0.25, step: 3 });
    expect(store.getMetricHistory(run.id, 'loss').map((p) => p.value)).toEqual([1, 0.5, 0.25]);
    expect(() => store.logBatch(run.id, { metrics: [] }, { attempt: 0 })).toThrow(/attempt must be >= 1, received 0/);
  });

  it('resumeRun fromArtifact resumes from that artifact\'s step, read in the same transaction, and returns it', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: spec() });
    store.logBatch(run.id, { metrics: [1, 2, 3, 4].map((step) => ({ key: 'loss', value: step, step })) });
    const sha256 = 'ab'.repeat(32);
    store.logArtifact(run.id, { kind: 'checkpoint-last', path: 'runs/x/a1', step: 2, sha256, bytes: 10 });
    const resumed = store.resumeRun(run.id, { fromArtifact: 'checkpoint-last' });
    expect(resumed.fromStep).toBe(2);
    expect(resumed.resumedFrom).toMatchObject({ kind: 'checkpoint-last', path: 'runs/x/a1', step: 2, sha256, bytes: 10 });
    expect(store.getMetricHistory(run.id, 'loss').map((p) => p.step)).toEqual([1, 2]);

    const other = store.createRun({ specHash: 'h2', experiment: 'e', resolvedSpec: spec() });
    store.logMetric(other.id, { key: 'loss', value: 1, step: 1 });
    expect(store.resumeRun(other.id, { fromArtifact: 'checkpoint-last' })).toMatchObject({ fromStep: -1, resumedFrom: null, attempt: 2 });
    expect(store.getMetricHistory(other.id, 'loss')).toEqual([]);

    expect(() => store.resumeRun(run.id, {})).toThrow(/give one of fromStep and fromArtifact/);
    expect(() => store.resumeRun(run.id, { fromStep: 1, fromArtifact: 'checkpoint-last' })).toThrow(/give one of fromStep and fromArtifact/);
  });

  it('logArtifact with replaceKind keeps one artifact of the kind; sha256 must be hex', () => {
    const store = tempStore();
    const run = store.createRun({ specHash: 'h', experiment: 'e', resolvedSpec: spec() });
    store.logArtifact(run.id, { kind: 'checkpoint-last', path: 'a', step: 1 }, { replaceKind: true });
    store.logArtifact(run.id, { kind: 'checkpoint-best', path: 'b', step: 1 }, { replaceKind: true });
    store.logArtifact(run.id, { kind: 'checkpoint-last', path: 'c', step: 2, sha256: 'cd'.repeat(32), bytes: 3 }, { replaceKind: true, attempt: 1 });
    expect(store.listArtifacts(run.id).map((a) => [a.kind, a.path, a.sha256])).toEqual([
      ['checkpoint-best', 'b', null],
      ['checkpoint-last', 'c', 'cd'.repeat(32)],
    ]);
    expect(() => store.logArtifact(run.id, { kind: 'x', path: 'y', sha256: 'XYZ' })).toThrow(/sha256 must be 64 lowercase hex digits, received "XYZ"/);
  });

  it('gcRuns can record crashed, leaving runs a live job holds; a write of the current attempt makes it running again', () => {
    const store = tempStore();
    const remote = { host: 'gpu-box-1', pid: 4242, processStart: null };
    const held = store.createRun({ specHash: 'a', experiment: 'e', resolvedSpec: spec(), ...remote });
    const lost = store.createRun({ specHash: 'b', experiment: 'e', resolvedSpec: spec(), ...remote });
    const result = store.gcRuns({ staleAfterMs: -1, mark: 'crashed', exclude: new Set([held.id]) });
    expect(result.killed).toEqual([lost.id]);
    expect(store.getRun(lost.id)).toMatchObject({ status: 'crashed', endTime: expect.any(Number) });
    expect(store.getRun(held.id)!.status).toBe('running');
    expect(store.listRuns({ status: 'crashed' }).runs.map((r) => r.id)).toEqual([lost.id]);

    store.heartbeat(lost.id, undefined, { attempt: 1 });
    expect(store.getRun(lost.id)).toMatchObject({ status: 'running', endTime: null });
    expect(() => store.gcRuns({ mark: 'gone' as never })).toThrow(/mark must be 'killed' or 'crashed'/);
  });

  it('a version-5 file migrates: every run at attempt 1, its rows kept, and crashed can be stored', () => {
    const file = join(tempDir(), 'v5.db');
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    migrate(db, file, 5);
    db.exec(`INSERT INTO experiments(id, name, created_at) VALUES (1, 'e', 0);
      INSERT INTO runs(pk, id, experiment_id, name, status, start_time, heartbeat_at, resolved_spec, spec_hash, host)
        VALUES (1, 'abcdef01', 1, 'old', 'finished', 0, 0, '{}', 'h', 'host');
      INSERT INTO params(run_pk, key, value) VALUES (1, 'model.name', 'vgg13');
      INSERT INTO artifacts(run_pk, kind, path, created_at, updated_at) VALUES (1, 'checkpoint-last', 'p', 0, 0);`);
    expect(() => db.exec("UPDATE runs SET status = 'crashed'")).toThrow(/CHECK constraint failed/);
    db.close();
    const store = openStore(file);
    expect(store.getRun('abcdef01')).toMatchObject({ attempt: 1, status: 'finished', params: { 'model.name': 'vgg13' } });
    expect(store.listArtifacts('abcdef01')[0]).toMatchObject({ path: 'p', sha256: null, bytes: null });
    store.setRunStatus('abcdef01', 'crashed');
    expect(store.getRun('abcdef01')!.status).toBe('crashed');
    expect(() => store.setRunStatus('abcdef01', 'gone' as never)).toThrow(/status must be one of/);
    store.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(() => check.prepare("SELECT 1").get()).not.toThrow();
    check.close();
  });
});
