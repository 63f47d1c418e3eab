import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore } from './store.ts';
import { tempDir } from './testing/temp.ts';

const WORKER = fileURLToPath(new URL('./testing/worker.ts', import.meta.url));

function startWorker(...args: string[]): { child: ChildProcess; done: Promise<Record<string, unknown>> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const done = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>);
      else reject(new Error(`worker ${args[0]} exited with ${code ?? signal}: ${err}`));
    });
  });
  return { child, done };
}

/** Lets both children finish starting up (tsx) before they act. */
const FILES = 15;

const startSoon = (): string => String(Date.now() + 2500);

describe('several processes, one database', () => {
  it('two processes logging to one database at once: no errors, every row present, latest values right', async () => {
    const file = join(tempDir(), 'runs', 'vgglab.db');
    openStore(file).close();
    const at = startSoon();
    const workers = ['w1', 'w2'].map((name) => startWorker('log', file, name, '150', '20', at));
    const results = await Promise.all(workers.map((w) => w.done));
    const store = openStore(file, { readonly: true });
    for (const result of results) {
      const run = store.getRun(result.runId as string)!;
      expect(run.status).toBe('finished');
      expect(run.metrics['train/loss']).toMatchObject({ count: 3000, step: 2999, value: 1 / 3000, min: 1 / 3000, max: 1 });
      expect(run.metrics['train/accuracy']!.count).toBe(3000);
      expect(run.tags.progress).toBe('149');
      const history = store.getMetricHistory(run.id, 'train/accuracy');
      expect(history.filter((p) => Number.isNaN(p.value))).toHaveLength(Math.ceil(3000 / 7));
      // the packed blocks, written by each process beside its rows, read back the same points
      const [columns] = store.getMetricColumns({ runIds: [run.id], keys: ['train/accuracy'], maxPoints: 10_000 });
      expect(columns!.step).toEqual(history.map((p) => p.step));
      expect(columns!.value).toEqual(history.map((p) => p.value));
    }
    // the live cursor saw every point of both, once
    const ids = new Set<number>();
    let cursor = 0;
    for (;;) {
      const page = store.getMetricsAfter({ afterId: cursor, limit: 5000 });
      page.points.forEach((p) => ids.add(p.id));
      if (page.points.length === 0) break;
      cursor = page.cursor;
    }
    expect(ids.size).toBe(12_000);
    store.close();
  }, 60_000);

  it('three processes opening the same new database at the same moment all succeed (15 fresh files)', async () => {
    const prefix = join(tempDir(), 'fresh', 'race');
    const at = startSoon();
    const workers = [1, 2, 3].map(() => startWorker('open', prefix, String(FILES), at, '60'));
    const results = await Promise.all(workers.map((w) => w.done));
    for (let i = 0; i < FILES; i++) {
      const store = openStore(`${prefix}-${i}.db`, { readonly: true });
      const runs = store.listRuns({ experiment: 'race' });
      expect(runs.total).toBe(3);
      expect(runs.runs.map((r) => r.id).sort()).toEqual(results.map((r) => (r.runIds as string[])[i]).sort());
      expect(store.listExperiments()).toHaveLength(1);
      store.close();
    }
  }, 60_000);

  it('a run killed with SIGKILL is found by gc and resumes from its checkpoint step without duplicate rows', async () => {
    const file = join(tempDir(), 'vgglab.db');
    const store = openStore(file);
    const run = store.createRun({ specHash: 'test-spec', experiment: 'resume', resolvedSpec: {} });
    const first = startWorker('train', file, run.id, '0');
    // let it log a few hundred steps, then kill it without warning
    await expect.poll(() => store.getRun(run.id)!.metrics['train/loss']?.count ?? 0, { timeout: 20_000, interval: 50 }).toBeGreaterThan(300);
    first.child.kill('SIGKILL');
    await first.done.catch(() => undefined);
    expect(store.getRun(run.id)!.status).toBe('crashed'); // its process is gone: shown at once, recorded by gc
    expect(store.gcRuns().killed).toEqual([run.id]);
    expect(store.getRun(run.id)!.status).toBe('killed');

    const reached = store.getRun(run.id)!.metrics['train/loss']!.step;
    const checkpointStep = 200; // the last checkpoint the killed run wrote
    const second = startWorker('train', file, run.id, String(checkpointStep));
    await expect.poll(() => store.getRun(run.id)!.metrics['train/loss']?.step ?? 0, { timeout: 20_000, interval: 50 }).toBeGreaterThan(reached + 100);
    second.child.kill('SIGKILL');
    await second.done.catch(() => undefined);

    const history = store.getMetricHistory(run.id, 'train/loss');
    const steps = history.map((p) => p.step);
    expect(new Set(steps).size).toBe(steps.length);
    // contiguous from 1: nothing lost before the checkpoint, nothing duplicated after it
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
    expect(store.getRun(run.id)!.metrics['train/loss']!.count).toBe(steps.length);
    // the packed blocks survived both kills and the resume's deletion: the same points as the rows
    const [columns] = store.getMetricColumns({ runIds: [run.id], keys: ['train/loss'], maxPoints: 100_000 });
    expect(columns!.step).toEqual(steps);
    expect(columns!.value).toEqual(history.map((p) => p.value));
    expect(columns!.timestamp).toEqual(history.map((p) => p.timestamp));
    store.close();
  }, 60_000);
});
