/**
 * The queue on a real Redis of the test's own: submitting is idempotent per point, a worker runs jobs through its
 * runJob, a failing point fails after its attempts while the others finish, a stopped worker hands its job back
 * without using an attempt, the server's view sees who holds what, and Redis is checked before a worker starts.
 */
import { Job, Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRedis, redisProblems, redisOptions } from './connection.ts';
import { jobIdFor, submitPoints, type SweepPointJob } from './jobs.ts';
import { startRedis, type TestRedis } from './testing/redis.ts';
import { createQueueView } from './view.ts';
import { type JobContext, type JobOutcome, type RunningWorker, startWorker } from './worker.ts';

const running: { redis: TestRedis[]; workers: RunningWorker[]; closers: (() => Promise<void>)[] } = { redis: [], workers: [], closers: [] };
afterEach(async () => {
  for (const w of running.workers.splice(0)) await w.stop().catch(() => undefined);
  for (const c of running.closers.splice(0)) await c().catch(() => undefined);
  for (const r of running.redis.splice(0)) await r.cleanup();
});

async function redis(extra: string[] = []): Promise<TestRedis> {
  const r = await startRedis(extra);
  running.redis.push(r);
  return r;
}

const point = (label: string, index: number): SweepPointJob => ({
  experiment: 'sweep',
  specHash: `hash-${label}`,
  label,
  index,
  spec: { name: 'sweep' },
  specText: null,
  specFile: '/specs/sweep.yaml',
  sweepValues: { 'optimizer.lr': index },
});

async function jobOf(url: string, id: string): Promise<Job> {
  const queue = new Queue('vgglab-sweeps', { connection: redisOptions(url) });
  running.closers.push(() => queue.close());
  return (await Job.fromId(queue, id))!;
}

async function worker(url: string, runJob: (job: SweepPointJob, context: JobContext) => Promise<JobOutcome>, name = 'w1'): Promise<RunningWorker> {
  const w = await startWorker({ redisUrl: url, name, runJob, lockDurationMs: 5000, stalledIntervalMs: 1000 });
  running.workers.push(w);
  return w;
}

describe('the queue', () => {
  it('submitting the same sweep twice adds no job', async () => {
    const r = await redis();
    const points = [point('a', 0), point('b', 1), point('c', 2)];
    const first = await submitPoints(points, { redisUrl: r.url });
    expect(first.added.map((p) => p.id)).toEqual(points.map((p) => jobIdFor('sweep', p.specHash)));
    expect(first.present).toEqual([]);
    const second = await submitPoints(points, { redisUrl: r.url });
    expect(second.added).toEqual([]);
    expect(second.present.map((p) => p.state)).toEqual(['waiting', 'waiting', 'waiting']);
    const queue = new Queue('vgglab-sweeps', { connection: redisOptions(r.url) });
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 3 });
    await queue.close();
  });

  it('a point that always fails ends failed after its attempts, with its error, while the others finish', async () => {
    const r = await redis();
    await submitPoints([point('ok1', 0), point('bad', 1), point('ok2', 2)], { redisUrl: r.url, attempts: 2, backoffMs: 10 });
    const tries: string[] = [];
    await worker(r.url, async (job, context) => {
      tries.push(job.label);
      context.progress({ runId: `run-${job.label}`, step: 1 });
      if (job.label === 'bad') return { kind: 'failed', message: `bad point blew up on try ${context.attemptsMade + 1}` };
      return { kind: 'finished', result: { runId: `run-${job.label}`, status: 'finished' } };
    });
    const view = createQueueView(r.url);
    running.closers.push(() => view.close());
    await expect.poll(async () => (await view.overview()).sweeps[0]?.failed ?? 0).toBe(1);
    await expect.poll(async () => (await view.overview()).sweeps[0]?.finished ?? 0).toBe(2);
    const sweep = (await view.overview()).sweeps[0]!;
    const bad = sweep.jobs.find((j) => j.label === 'bad')!;
    expect(bad).toMatchObject({ state: 'failed', attemptsMade: 2, attempts: 2, error: 'bad point blew up on try 2' });
    expect(sweep.jobs.filter((j) => j.state === 'finished').map((j) => j.runId).sort()).toEqual(['run-ok1', 'run-ok2']);
    expect(tries.filter((t) => t === 'bad')).toHaveLength(2);
  });

  it('a stopped worker hands its running job back without using an attempt; the server sees who holds which run', async () => {
    const r = await redis();
    await submitPoints([point('long', 0)], { redisUrl: r.url, attempts: 1 });
    const view = createQueueView(r.url);
    running.closers.push(() => view.close());
    let claim: JobContext['claim'] | undefined;
    const w = await worker(r.url, (job, context) => {
      claim = context.claim;
      context.progress({ runId: 'run-long', step: 7, epoch: 1 });
      // A training that runs until asked to stop, then has checkpointed.
      return new Promise((resolve) => context.signal.addEventListener('abort', () => resolve({ kind: 'handed-back' })));
    });
    await expect.poll(async () => [...(await view.heldRuns())]).toEqual(['run-long']);
    const sweep = (await view.overview()).sweeps[0]!;
    expect(sweep).toMatchObject({ running: 1, waiting: 0 });
    expect(sweep.jobs[0]).toMatchObject({ state: 'running', worker: 'w1', runId: 'run-long', step: 7, epoch: 1 });
    expect(await view.holdsLock(claim!)).toBe(true);
    expect(await view.holdsLock({ ...claim!, token: 'someone-else' })).toBe(false);
    expect(await view.holdsLock({ ...claim!, jobId: 'no-such-job' })).toBe(false);

    await w.stop();
    const job = await jobOf(r.url, claim!.jobId);
    expect(await job.getState()).toBe('waiting');
    expect(job.attemptsMade).toBe(0);
    expect(await view.holdsLock(claim!)).toBe(false);
    // The next worker gets it, with its single attempt still unused.
    const seen: number[] = [];
    await worker(r.url, async (_job, context) => {
      seen.push(context.attemptsMade);
      return { kind: 'finished', result: { runId: 'run-long', status: 'finished' } };
    }, 'w2');
    await expect.poll(async () => (await jobOf(r.url, claim!.jobId)).getState()).toBe('completed');
    expect(seen).toEqual([0]);
  });
});

describe('Redis checks', () => {
  it('accepts Redis 7 with AOF and noeviction; names each problem otherwise', async () => {
    const good = await redis();
    await expect(checkRedis(good.url)).resolves.toMatchObject({ aof: true, maxmemoryPolicy: 'noeviction' });
    const evicting = await redis(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no']);
    await expect(checkRedis(evicting.url)).rejects.toThrow(
      /cannot hold the queue safely: maxmemory-policy is allkeys-lru: .*set `maxmemory-policy noeviction`; persistence is off .*`appendonly yes`/,
    );
    await expect(startWorker({ redisUrl: evicting.url, runJob: async () => ({ kind: 'lost', message: '' }) })).rejects.toThrow(/maxmemory-policy/);
    expect(redisProblems({ version: '6.0.16', maxmemoryPolicy: 'noeviction', aof: true, rdb: null })).toEqual([
      'Redis 6.0.16 is older than 6.2.0, which BullMQ needs: upgrade Redis',
    ]);
    expect(redisProblems({ version: '6.2.0', maxmemoryPolicy: 'noeviction', aof: false, rdb: true })).toEqual([]);
    await expect(checkRedis('redis://127.0.0.1:1')).rejects.toThrow(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(() => redisOptions('http://x')).toThrow(/must start with redis:\/\//);
  });
});
