/**
 * Ingest through the tracking server (issue 14): N simulated runs on other machines log to `vgglab server` over
 * HTTP at the same time, each through the runner's own path (createMetricQueue over the HTTP client: a batch per
 * second per run, 4 metrics per step), while a reader keeps asking for the dashboard's heavy reads (bench:dashboard's
 * run list and 10-run compare) from the same server. The server runs in a process of its own (as it would), over a
 * store that already holds `--read-runs` runs of 1,000 points per metric (made once through the store's API into
 * bench/out/ingest-<n>/, reused while its parameters match; the ingested runs are deleted again at the end).
 *
 * For each phase it prints one JSON line: points/s offered and sustained, p50/p99 of a logBatch as the run sees it
 * (from the call until the server acknowledged it), the p50/p95 of the reads, and a count from the file proving
 * that no point was lost and none doubled (per run and key: rows == distinct steps logged, and the values' sum is the
 * sum sent). The runs are spread over `--generators` processes (4), as real runs are processes of their own.
 * Phases: 64 and 256 runs at `--rate` points/s each (target: 64 runs at 10 points/s with p99 < 50 ms; the
 * reads' p95 < 50 ms), then 64 runs at 4x, 16x, 64x … that rate until the server stops keeping up (sustained < 90% of
 * offered, or p99 over 50 ms): where it tops out.
 *
 *   flock /tmp/bench.lock npm run bench:ingest [-- --runs 64,256 --rate 10 --seconds 30 --read-runs 1000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import {
  createHttpRunWriter,
  createMetricQueue,
  generateSyntheticRuns,
  openRunReader,
  openStore,
  type LogBatchInput,
  type RunWriter,
  type TrackingClient,
} from '@vgglab/store';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
};
const RUN_COUNTS = arg('runs', '64,256').split(',').map(Number);
const RATE = Number(arg('rate', '10'));
const SECONDS = Number(arg('seconds', '30'));
const READ_RUNS = Number(arg('read-runs', '1000'));
const TOP_OUT_SECONDS = Number(arg('top-out-seconds', '15'));
/** Processes the simulated runs are spread over (real runs are processes of their own: one process's event loop
 * would synchronise their flushes into bursts). */
const GENERATORS = Number(arg('generators', '4'));

const KEYS = ['train/loss', 'train/accuracy', 'val/loss', 'val/accuracy'];
const TOKEN = 'ingest-bench-token-0123456789abcdef';
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'out', `ingest-${READ_RUNS}`);
const dbFile = join(outDir, 'vgglab.db');

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const round = (v: number) => Math.round(v * 100) / 100;
function summary(samples: number[], high = 99) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), [`p${high}`]: round(percentile(sorted, high)), n: samples.length };
}
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

/** The store the reads run against: READ_RUNS runs x 4 keys x 1,000 points, through the store's API. */
function prepareStore(): string[] {
  const marker = join(outDir, 'complete.json');
  const wanted = JSON.stringify({ READ_RUNS, points: 1000 });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) {
    openStore(dbFile).close(); // migrates one made by an older schema
    const reader = openRunReader(dbFile);
    const ids = reader.listRuns({ experiment: 'synthetic-0', limit: 1000, includeParams: [], includeMetrics: [] }).runs.map((r) => r.id);
    reader.close();
    return ids;
  }
  mkdirSync(outDir, { recursive: true });
  const store = openStore(dbFile);
  const started = Date.now();
  generateSyntheticRuns(store, {
    runs: READ_RUNS,
    pointsPerMetric: 1000,
    seed: 7,
    onRun: (i) => {
      if ((i + 1) % 250 === 0) process.stderr.write(`bench:ingest: ${i + 1}/${READ_RUNS} runs written (${Math.round((Date.now() - started) / 1000)} s)\n`);
    },
  });
  const ids = store.listRuns({ experiment: 'synthetic-0', limit: 1000, includeParams: [], includeMetrics: [] }).runs.map((r) => r.id);
  store.close();
  writeFileSync(marker, wanted);
  return ids;
}

/**
 * The tracking server in a process of its own, on a free port: the dashboard's createServer with `tracking` (what
 * `vgglab server` starts, without predict, which ingest does not use) on a loopback address with the token. It also
 * times, on its side, each write of the write API (fastify's elapsed time from the request's arrival to the answer
 * handed to the socket) and its own event loop's delay, and prints them as JSON on stderr when it gets SIGTERM.
 */
const SERVER_CODE = `
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createServer } from '@vgglab/dashboard';
const [dbFile] = process.argv.slice(1);
const app = await createServer({ dbFile, token: process.env.VGGLAB_TOKEN, tracking: {}, loopbackOnly: true });
const writes = [];
app.addHook('onResponse', async (request, reply) => {
  if (request.url.includes('/api/tracking/') && request.method === 'POST') writes.push(reply.elapsedTime);
});
await app.listen({ host: '127.0.0.1', port: 0 });
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
process.stdout.write('listening on http://127.0.0.1:' + app.server.address().port + '\\n');
process.on('message', () => {
  const sorted = writes.splice(0).sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  process.send({ serverWriteMs: { p50: at(0.5), p99: at(0.99), n: sorted.length }, serverLoopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } });
  loop.reset();
});
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

interface ServerFigures {
  serverWriteMs: { p50: number; p99: number; n: number };
  serverLoopDelayMs: { p50: number; p99: number; max: number };
}

function startServerProcess(): Promise<{ url: string; child: ChildProcess; figures(): Promise<ServerFigures> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SERVER_CODE, dbFile], {
    cwd: join(here, '..'),
    env: { ...process.env, VGGLAB_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const figures = () =>
    new Promise<ServerFigures>((resolve) => {
      child.once('message', (m) => resolve(m as ServerFigures));
      child.send('figures');
    });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve({ url: match[1]!, child, figures });
    });
    child.on('exit', (code) => reject(new Error(`the tracking server exited with ${code}: ${out}`)));
  });
}

/** A RunWriter that times each logBatch from the call until it is acknowledged. */
function timed(client: TrackingClient, latencies: number[]): RunWriter {
  return new Proxy(client, {
    get(target, name, receiver) {
      if (name !== 'logBatch') {
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (runId: string, batch: LogBatchInput) => {
        const started = performance.now();
        await target.logBatch(runId, batch);
        latencies.push(performance.now() - started);
      };
    },
  }) as unknown as RunWriter;
}

/** One simulated run: `rate` points/s (4 metrics per step) for `seconds`, through the metric queue. */
async function simulateRun(url: string, experiment: string, index: number, rate: number, seconds: number, latencies: number[]) {
  const client = createHttpRunWriter({ url, token: TOKEN });
  const run = await client.createRun({ experiment, resolvedSpec: { name: experiment, index }, specHash: `${experiment}-${index}`, name: `ingest-${index}` });
  const queue = createMetricQueue(timed(client, latencies), run.id);
  const stepsPerSecond = rate / KEYS.length;
  const started = performance.now();
  // Runs start spread over the first second, as real ones would.
  await new Promise((resolve) => setTimeout(resolve, (index * 997) % 1000));
  let step = 0;
  let sum = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * stepsPerSecond);
    while (step < due) {
      step++;
      const metrics = KEYS.map((key, k) => ({ key, value: Math.exp(-step / 500) + k * 0.1 + index * 1e-6, step, epoch: Math.floor(step / 100) }));
      for (const m of metrics) sum += m.value;
      queue.logBatch({ metrics });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await queue.close();
  await client.setRunStatus(run.id, 'finished');
  await client.close();
  return { runId: run.id, steps: step, sum };
}

/** The dashboard's reads (bench:dashboard's list and 10-run compare), one after the other until `stop`. */
async function readLoop(url: string, compareIds: string[], stop: { done: boolean }, enabled: boolean) {
  const list: number[] = [];
  const compare: number[] = [];
  const listUrl = `${url}/api/runs?limit=100&sort=metric.max:val/accuracy&order=desc&withParams=model.name,optimizer.name,optimizer.lr&withMetrics=val/accuracy,val/loss,train/loss`;
  let n = 0;
  while (enabled && !stop.done) {
    let t = performance.now();
    const listed = await fetch(listUrl);
    await listed.arrayBuffer();
    list.push(performance.now() - t);
    const ids = Array.from({ length: 10 }, (_, j) => compareIds[(n * 10 + j) % compareIds.length]);
    t = performance.now();
    const compared = await fetch(`${url}/api/metrics?runs=${ids.join(',')}&keys=${KEYS.join(',')}&maxPoints=1000&encoding=binary`);
    await compared.arrayBuffer();
    compare.push(performance.now() - t);
    if (!listed.ok || !compared.ok) throw new Error(`read failed: ${listed.status} ${compared.status}`);
    n++;
  }
  return { runListMs: summary(list, 95), compare10RunsMs: summary(compare, 95) };
}

/** Per run and key, from the file: rows must equal the steps logged and the values must add up to what was sent. */
function verify(results: { runId: string; steps: number; sum: number }[]) {
  const reader = openRunReader(dbFile);
  let lost = 0;
  let doubled = 0;
  let badSums = 0;
  let rows = 0;
  try {
    for (const r of results) {
      const metrics = reader.getRun(r.runId)!.metrics;
      let sum = 0;
      for (const key of KEYS) {
        const count = metrics[key]?.count ?? 0;
        rows += count;
        if (count < r.steps) lost += r.steps - count;
        if (count > r.steps) doubled += count - r.steps;
        for (const p of reader.getMetricHistory(r.runId, key)) sum += p.value;
      }
      if (Math.abs(sum - r.sum) > 1e-6 * Math.max(1, Math.abs(r.sum))) badSums++;
    }
  } finally {
    reader.close();
  }
  return { pointsSent: results.reduce((a, r) => a + r.steps * KEYS.length, 0), rowsStored: rows, lost, doubled, runsWithWrongValues: badSums };
}

interface Server {
  url: string;
  figures(): Promise<ServerFigures>;
}

async function phase(server: Server, compareIds: string[], runs: number, rate: number, seconds: number, withReads: boolean) {
  const { url } = server;
  const experiment = `ingest-${runs}x${rate}-${Date.now()}`;
  const latencies: number[] = [];
  await server.figures(); // from here on
  const generatorLoop = monitorEventLoopDelay({ resolution: 10 });
  generatorLoop.enable();
  const stop = { done: false };
  const reads = readLoop(url, compareIds, stop, withReads);
  const shares = await Promise.all(
    Array.from({ length: GENERATORS }, (_, g) => generate(url, experiment, Array.from({ length: runs }, (_, i) => i).filter((i) => i % GENERATORS === g), rate, seconds)),
  );
  // From the first run's start to the last one's close, in the generators (their start-up left out).
  const elapsed = Math.max(...shares.map((s) => s.activeSeconds));
  const results = shares.flatMap((s) => s.results);
  for (const s of shares) latencies.push(...s.latencies);
  stop.done = true;
  const read = await reads;
  generatorLoop.disable();
  const serverSide = await server.figures();
  const generatorLoopMs = shares.map((s) => s.loopP99Ms);
  const check = verify(results);
  return {
    bench: 'ingest',
    runs,
    pointsPerSecondPerRun: rate,
    offeredPointsPerSecond: runs * rate,
    sustainedPointsPerSecond: Math.round(check.rowsStored / elapsed),
    seconds: round(elapsed),
    logBatchMs: summary(latencies),
    ...check,
    ...(withReads ? { readsDuringIngest: read } : {}),
    ...serverSide,
    generators: GENERATORS,
    generatorLoopDelayP99Ms: generatorLoopMs.map(round),
    readerLoopDelayMs: { p50: round(generatorLoop.percentile(50) / 1e6), p99: round(generatorLoop.percentile(99) / 1e6), max: round(generatorLoop.max / 1e6) },
    loadAverage: loadavg().map(round),
    experiment,
  };
}

type Share = { results: { runId: string; steps: number; sum: number }[]; latencies: number[]; loopP99Ms: number; activeSeconds: number };

/** Some of the runs, in a process of their own (this file with `--generator`); resolves with what it measured. */
function generate(url: string, experiment: string, indices: number[], rate: number, seconds: number): Promise<Share> {
  if (indices.length === 0) return Promise.resolve({ results: [], latencies: [], loopP99Ms: 0, activeSeconds: 0 });
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--generator', JSON.stringify({ url, experiment, indices, rate, seconds })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk));
  return new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Share) : reject(new Error(`a generator exited with ${code}`)))));
}

async function generatorMain(spec: { url: string; experiment: string; indices: number[]; rate: number; seconds: number }): Promise<void> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const latencies: number[] = [];
  const started = performance.now();
  const results = await Promise.all(spec.indices.map((i) => simulateRun(spec.url, spec.experiment, i, spec.rate, spec.seconds, latencies)));
  const activeSeconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ results, latencies, loopP99Ms: loop.percentile(99) / 1e6, activeSeconds } satisfies Share));
}

async function main(): Promise<void> {
  const before = uptime();
  const compareIds = prepareStore();
  const server = await startServerProcess();
  const { child } = server;
  const experiments: string[] = [];
  try {
    // Each size alone, then with the dashboard's reads running against the same server.
    for (const runs of RUN_COUNTS) {
      for (const withReads of [false, true]) {
        const result = await phase(server, compareIds, runs, RATE, SECONDS, withReads);
        experiments.push(result.experiment);
        process.stdout.write(`${JSON.stringify({ ...result, phase: withReads ? 'ingest+reads' : 'ingest' })}\n`);
      }
    }
    // Where it tops out: 64 runs, the rate x4 each time, until it stops keeping up.
    for (let rate = RATE * 4; rate <= RATE * 4 ** 5; rate *= 4) {
      const result = await phase(server, compareIds, 64, rate, TOP_OUT_SECONDS, false);
      experiments.push(result.experiment);
      process.stdout.write(`${JSON.stringify({ ...result, phase: 'top-out' })}\n`);
      const p99 = (result.logBatchMs as Record<string, number>).p99!;
      if (result.sustainedPointsPerSecond < 0.9 * result.offeredPointsPerSecond || p99 > 50) break;
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    // The ingested runs go again: the store keeps only the read set.
    const store = openStore(dbFile);
    for (const experiment of experiments) {
      for (const run of store.listRuns({ experiment, limit: 1000, includeParams: [], includeMetrics: [] }).runs) store.deleteRun(run.id);
    }
    store.close();
  }
  process.stdout.write(`${JSON.stringify({ bench: 'ingest', uptimeBefore: before, uptimeAfter: uptime() })}\n`);
}

(args.includes('--generator') ? generatorMain(JSON.parse(arg('generator', '{}'))) : main()).catch((error: unknown) => {
  process.stderr.write(`bench:ingest: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
