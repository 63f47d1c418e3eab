/**
 * Many machines on one: a Redis of the test's own, `vgglab server` and `vgglab worker`s as real processes on
 * loopback (each worker in a folder of its own), a tiny sweep on the `cpu` backend. A worker is SIGKILLed, frozen
 * past its lock with SIGSTOP, stopped with SIGTERM; Redis and the server are restarted mid-sweep; a point always
 * crashes. Whatever happens, every run's rows are one per (key, step) and equal an uninterrupted run's, and every
 * process is stopped by its pid after each test (stopAll).
 */
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { QueueOverview } from '@vgglab/queue';
import { METRIC } from '../defaults.ts';
import { cli } from '../testing/cli.ts';
import { redis, stopAll, storeRuns, sweepYaml, tmp, trackingServer, vgglab, waitUntil, worker, type Proc, type TrackingServer } from '../testing/scaleout.ts';

afterEach(stopAll);

/** Keys whose values depend on the clock, not on the training. */
const TIMING_KEYS: string[] = [METRIC.imagesPerSecond, METRIC.epochSeconds];
/** The machine's own metrics (CPU, memory: `sys/…`), sampled on a timer: their steps and values are the clock's. */
const isMachineKey = (key: string) => key.startsWith('sys/');
const SWEEP = ['sweep:', '  optimizer.lr: [0.01, 0.02, 0.03]'];

let reference: ReturnType<typeof storeRuns>;
beforeAll(async () => {
  // The same sweep, uninterrupted, on one machine with a local store.
  const dir = tmp();
  const file = sweepYaml(dir, 'fleet', SWEEP);
  const ref = await vgglab(['exp', file, '--db', path.join(dir, 'ref.db')], dir);
  expect(ref.code, ref.output).toBe(0);
  reference = storeRuns(path.join(dir, 'ref.db'));
  expect(reference).toHaveLength(3);
}, 120_000);

async function queueOf(server: TrackingServer): Promise<QueueOverview> {
  return (await (await fetch(`${server.url}/api/queue`)).json()) as QueueOverview;
}

async function sweepDone(server: TrackingServer, experiment: string, finished: number): Promise<boolean> {
  const sweep = (await queueOf(server)).sweeps.find((s) => s.experiment === experiment);
  return sweep?.finished === finished;
}

/** Every run of the server's store: one row per (key, step), and the values of the uninterrupted run of its point. */
function expectLikeReference(server: TrackingServer): ReturnType<typeof storeRuns> {
  const runs = storeRuns(server.dbFile);
  // The same points (by spec hash), under the same names.
  expect(runs.map((r) => `${r.run.specHash} ${r.run.name}`).sort()).toEqual(reference.map((r) => `${r.run.specHash} ${r.run.name}`).sort());
  for (const { run, rows } of runs) {
    const ref = reference.find((r) => r.run.specHash === run.specHash)!;
    expect(run.status, run.name).toBe('finished');
    expect(Object.keys(rows).filter((k) => !isMachineKey(k)).sort(), run.name).toEqual(Object.keys(ref.rows).filter((k) => !isMachineKey(k)).sort());
    for (const [key, points] of Object.entries(rows)) {
      const steps = points.map((p) => p.step);
      expect(new Set(steps).size, `${run.name} ${key}: rows = distinct steps`).toBe(steps.length);
      if (isMachineKey(key)) continue;
      expect(steps, `${run.name} ${key}`).toEqual(ref.rows[key]!.map((p) => p.step));
      if (!TIMING_KEYS.includes(key)) expect(points.map((p) => p.value), `${run.name} ${key}`).toEqual(ref.rows[key]!.map((p) => p.value));
    }
  }
  return runs;
}

/** The run of the sweep point where `key` took `value`. */
const pointRun = <T extends { run: { sweepValues: Record<string, unknown> | null } }>(runs: T[], key: string, value: unknown): T =>
  runs.find((r) => r.run.sweepValues?.[key] === value)!;

/** The worker process running the job of this label, once it has uploaded a checkpoint (after its first epoch). */
async function holderOf(server: TrackingServer, label: string, workers: Proc[]): Promise<Proc> {
  let holder: Proc | undefined;
  await waitUntil(`${label} past its first checkpoint`, async () => {
    const job = (await queueOf(server)).sweeps.flatMap((s) => s.jobs).find((j) => j.label === label);
    if (job?.state !== 'running' || job.step === null || job.step < 6 || !job.worker) return false;
    holder = workers.find((w) => job.worker!.endsWith(`:${w.pid}`));
    return holder !== undefined;
  }, workers);
  return holder!;
}

describe('sweeps on the queue, workers on many machines', () => {
  it('three workers, one SIGKILLed mid-run: its job comes back, resumes from its checkpoint, and every row is as uninterrupted', async () => {
    const dir = tmp();
    const r = await redis();
    const server = await trackingServer(dir, r.url);
    const file = sweepYaml(dir, 'fleet', SWEEP);
    const submitted = await vgglab(['exp', file, '--queue', '--redis', r.url], dir);
    expect(submitted.output).toContain('3 points, 3 added to the queue, 0 already there');
    const workers = ['a', 'b', 'c'].map((n) => worker(dir, n, server, r.url));
    const victim = await holderOf(server, 'lr 0.02', workers);
    victim.signal('SIGKILL');
    await waitUntil('the sweep to finish', () => sweepDone(server, 'fleet', 3), [...workers, server.proc]);
    const runs = expectLikeReference(server);
    // The killed point's run was started twice: once by the dead worker, once by the one that took its job over.
    expect(pointRun(runs, 'optimizer.lr', 0.02).run.attempt).toBe(2);
    expect(runs.filter((x) => x.run.attempt === 1)).toHaveLength(2);
  }, 120_000);

  it('a worker frozen (SIGSTOP) past its lock and woken (SIGCONT): its writes are refused, only the new attempt\'s data remains', async () => {
    const dir = tmp();
    const r = await redis();
    const server = await trackingServer(dir, r.url);
    const file = sweepYaml(dir, 'fleet', ['sweep:', '  optimizer.lr: [0.02]']);
    await vgglab(['exp', file, '--queue', '--redis', r.url], dir);
    const first = worker(dir, 'a', server, r.url);
    await holderOf(server, 'lr 0.02', [first]);
    first.signal('SIGSTOP');
    const second = worker(dir, 'b', server, r.url);
    // The job comes back when the frozen worker's lock expires; the second worker starts attempt 2.
    await waitUntil('attempt 2 running on the second worker', async () => {
      const job = (await queueOf(server)).sweeps[0]!.jobs[0]!;
      return job.worker?.endsWith(`:${second.pid}`) === true && storeRuns(server.dbFile)[0]!.run.attempt === 2;
    }, [first, second]);
    first.signal('SIGCONT');
    await waitUntil('the frozen worker to learn it was taken over', () => /taken over/.test(first.output()), [first, second]);
    await waitUntil('the point to finish', () => sweepDone(server, 'fleet', 1), [first, second]);
    const [only] = storeRuns(server.dbFile);
    expect(only!.run.attempt).toBe(2);
    const ref = pointRun(reference, 'optimizer.lr', 0.02);
    for (const [key, points] of Object.entries(only!.rows)) {
      expect(new Set(points.map((p) => p.step)).size, `${key}: rows = distinct steps`).toBe(points.length);
      if (isMachineKey(key)) continue;
      expect(points.map((p) => p.step), key).toEqual(ref.rows[key]!.map((p) => p.step));
      if (!TIMING_KEYS.includes(key)) expect(points.map((p) => p.value), key).toEqual(ref.rows[key]!.map((p) => p.value));
    }
    expect(first.output()).toMatch(/attempt 2; this write of attempt 1 was refused|no longer held by this worker/);
  }, 120_000);

  it('Redis restarted and the server restarted mid-sweep: the sweep finishes and nothing is lost', async () => {
    const dir = tmp();
    const r = await redis();
    const server = await trackingServer(dir, r.url);
    const file = sweepYaml(dir, 'fleet', SWEEP);
    await vgglab(['exp', file, '--queue', '--redis', r.url], dir);
    const workers = ['a', 'b'].map((n) => worker(dir, n, server, r.url));
    await holderOf(server, 'lr 0.01', workers).catch(() => holderOf(server, 'lr 0.02', workers));
    await r.restart();
    await server.restart();
    await waitUntil('the sweep to finish', () => sweepDone(server, 'fleet', 3), [...workers, server.proc]);
    expectLikeReference(server);
  }, 120_000);

  it('the same sweep twice adds no job; SIGTERM hands a job back without using an attempt; finished points do not run again', async () => {
    const dir = tmp();
    const r = await redis();
    const server = await trackingServer(dir, r.url);
    const file = sweepYaml(dir, 'fleet', SWEEP);
    await vgglab(['exp', file, '--queue', '--redis', r.url], dir);
    const again = await vgglab(['exp', file, '--queue', '--redis', r.url], dir);
    expect(again.output).toContain('3 points, 0 added to the queue, 3 already there');
    const first = worker(dir, 'a', server, r.url);
    await holderOf(server, 'lr 0.01', [first]);
    first.signal('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const handedBack = (await queueOf(server)).sweeps[0]!.jobs.find((j) => j.label === 'lr 0.01')!;
    expect(handedBack).toMatchObject({ state: 'waiting', attemptsMade: 0 });
    expect(pointRun(storeRuns(server.dbFile), 'optimizer.lr', 0.01).run.status).toBe('killed');
    const second = worker(dir, 'b', server, r.url);
    await waitUntil('the sweep to finish', () => sweepDone(server, 'fleet', 3), [second]);
    expectLikeReference(server);
    const third = await vgglab(['exp', file, '--queue', '--redis', r.url], dir);
    expect(third.output).toContain('3 points, 0 added to the queue, 3 already there');
    expect((await queueOf(server)).sweeps[0]).toMatchObject({ waiting: 0, running: 0, finished: 3 });
  }, 120_000);

  it('a point that always crashes fails after its attempts, with its error, while the others finish', async () => {
    const dir = tmp();
    const r = await redis();
    const server = await trackingServer(dir, r.url);
    const file = sweepYaml(dir, 'crashy', ['sweep:', '  data.options.failAtBatch: [-1, 2]']);
    await vgglab(['exp', file, '--queue', '--redis', r.url, '--attempts', '2'], dir);
    const workers = ['a', 'b'].map((n) => worker(dir, n, server, r.url));
    await waitUntil('one point failed, one finished', async () => {
      const sweep = (await queueOf(server)).sweeps[0];
      return sweep?.failed === 1 && sweep.finished === 1;
    }, workers);
    const jobs = (await queueOf(server)).sweeps[0]!.jobs;
    const failed = jobs.find((j) => j.state === 'failed')!;
    expect(failed).toMatchObject({ label: 'failAtBatch 2', attemptsMade: 2, attempts: 2 });
    expect(failed.error).toMatch(/failAtBatch 2 reached/);
    const runs = storeRuns(server.dbFile);
    expect(pointRun(runs, 'data.options.failAtBatch', 2).run).toMatchObject({ status: 'failed', attempt: 2 });
    expect(pointRun(runs, 'data.options.failAtBatch', -1).run.status).toBe('finished');
  }, 120_000);
});

describe('vgglab server and worker refuse what they cannot do safely', () => {
  it('vgglab server needs a token, on 0.0.0.0 and on loopback', async () => {
    for (const host of ['0.0.0.0', '127.0.0.1']) {
      const r = await cli(['server', '--host', host, '--port', '0'], { VGGLAB_TOKEN: '' });
      expect(r.code, host).toBe(1);
      expect(r.stderr).toMatch(/^vgglab: the tracking server needs a token: .*--token <secret> or VGGLAB_TOKEN/);
    }
  });

  it('vgglab worker checks Redis first, and needs a server and a Redis', async () => {
    expect((await cli(['worker', '--redis', 'redis://127.0.0.1:1'], { VGGLAB_TRACKING_URI: '' })).stderr).toMatch(/worker needs the tracking server/);
    expect((await cli(['worker', '--server', 'http://127.0.0.1:1'], { VGGLAB_REDIS_URL: '' })).stderr).toMatch(/worker needs the queue's Redis/);
    const down = await cli(['worker', '--server', 'http://127.0.0.1:1', '--redis', 'redis://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});
