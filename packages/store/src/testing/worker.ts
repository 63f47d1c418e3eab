/**
 * A child process for the multi-process tests, run with `node --import tsx worker.ts <mode> <db> [...]`.
 * Prints one JSON line with its result on stdout.
 */
import { createMetricQueue } from '../write/queue.ts';
import { openRunReader, openStore } from '../store.ts';

const [mode, file, ...rest] = process.argv.slice(2);
if (!mode || !file) throw new Error('usage: worker.ts <mode> <db> [...]');

function waitUntil(time: number): void {
  while (Date.now() < time) {
    // spin: both processes leave this loop within a millisecond of each other
  }
}

switch (mode) {
  // log <db> <name> <batches> <pointsPerBatch>: one run, many small batches as fast as possible
  case 'log': {
    const [name, batches, perBatch, startAt] = rest;
    const store = openStore(file);
    const run = store.createRun({ specHash: 'test-spec', experiment: 'concurrent', name, resolvedSpec: { worker: name } });
    waitUntil(Number(startAt));
    let step = 0;
    for (let b = 0; b < Number(batches); b++) {
      const metrics = [];
      for (let i = 0; i < Number(perBatch); i++, step++) {
        metrics.push({ key: 'train/loss', value: 1 / (step + 1), step }, { key: 'train/accuracy', value: step % 7 === 0 ? Number.NaN : 0.5, step });
      }
      store.logBatch(run.id, { metrics, tags: [{ key: 'progress', value: String(b) }] });
    }
    store.setRunStatus(run.id, 'finished');
    store.close();
    console.log(JSON.stringify({ runId: run.id, points: step }));
    break;
  }
  // open <db-prefix> <count> <startAt> <gapMs>: open `count` fresh files, each at a scheduled instant
  case 'open': {
    const [count, startAt, gap] = rest.map(Number) as [number, number, number];
    const runIds: string[] = [];
    for (let i = 0; i < count; i++) {
      waitUntil(startAt + i * gap);
      const store = openStore(`${file}-${i}.db`);
      runIds.push(store.createRun({ specHash: 'test-spec', experiment: 'race', resolvedSpec: { pid: process.pid } }).id);
      store.close();
    }
    console.log(JSON.stringify({ runIds }));
    break;
  }
  // queue-exit <db> <runId>: queue points, then exit without flushing or closing
  case 'queue-exit': {
    const [runId] = rest as [string];
    const store = openStore(file);
    const queue = createMetricQueue(store, runId, { flushEveryMs: 60_000, maxPending: 100_000 });
    for (let step = 0; step < 1500; step++) queue.logMetric({ key: 'loss', value: step, step });
    console.log(JSON.stringify({ pending: queue.pending }));
    process.exit(0);
    break;
  }
  // train <db> <runId> <fromStep>: log a point per step through the queue until killed, resuming after fromStep
  case 'train': {
    const [runId, fromStep] = rest as [string, string];
    const store = openStore(file);
    store.resumeRun(runId, { fromStep: Number(fromStep) });
    const queue = createMetricQueue(store, runId, { flushEveryMs: 10, maxPending: 20 });
    let step = Number(fromStep) + 1;
    const tick = (): void => {
      for (let i = 0; i < 5; i++, step++) queue.logMetric({ key: 'train/loss', value: 1 / step, step, epoch: Math.floor(step / 100) });
      setTimeout(tick, 1);
    };
    tick();
    break;
  }
  // create-running <db>: create a running run (this process's pid), print its id, then wait to be killed
  case 'create-running': {
    const store = openStore(file);
    const run = store.createRun({ specHash: 'test-spec', experiment: 'crash', resolvedSpec: { worker: process.pid } });
    console.log(JSON.stringify({ runId: run.id, pid: process.pid }));
    setInterval(() => store.heartbeat(run.id), 1000);
    break;
  }
  // try-open <db> <reader|writer>: open and close; print the error's code and message, if any
  case 'try-open': {
    try {
      (rest[0] === 'reader' ? openRunReader(file) : openStore(file)).close();
      console.log(JSON.stringify({ ok: true }));
    } catch (err) {
      console.log(JSON.stringify({ code: (err as { code?: string }).code, message: (err as Error).message }));
    }
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
