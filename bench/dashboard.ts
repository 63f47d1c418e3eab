/**
 * Dashboard API latency on a large store: 10,000 runs, each with 1,000 points per metric for a few metric keys,
 * written through the store's own API (logBatch, 1,000 points per call). The database is made once into
 * bench/out/ and reused while its parameters match. Then, over real HTTP on 127.0.0.1, it times:
 * - the run list as the page asks for it (100 rows, sorted by best val accuracy, table columns only), on
 *   pages spread through the whole list (page tokens), and with a filter;
 * - the 10-run compare call (/api/metrics for 10 runs x 4 keys, 1,000 points each, JSON): cold (a different
 *   set of 10 runs each time, never read before) and warm (the same 10 again, served from the series cache);
 *   for the cold call also the server's share (`compare10RunsServerMs`: fastify's elapsed time until the body is
 *   written; the rest is the transport and this process's reading of the body). maxPoints=1000 is what the page's
 *   compare view asks for (packages/dashboard/src/web/api.ts), in the binary encoding it asks for; a binary call's
 *   time includes decoding it into the column arrays the charts read (decodeBinarySeries, as the page does).
 *   `-- --encoding full|compact` times a JSON form instead (its time includes reading the body as text, not
 *   parsing it; the check scans the text). Every timed compare response is checked afterwards: 40 series of 1,000
 *   points, the runs asked for;
 *   the cold calls' runs are checked to be all different (none can come from the series cache).
 * - the compare view grouped (binary encoding only, as the page asks), on another 10 runs never read before: the
 *   compare call and `/api/params` (the params that differ, which grouping and the param menus read) made at once,
 *   as the page makes them, then the page's building of its lines from the columns (`compareLines`,
 *   src/web/compare-lines.ts: grouped by optimizer.name, ±std bands, dashed by model.name) in this process:
 *   `compare10RunsGroupedMs` is the whole, `paramsDiff10RunsMs` and `groupLines10RunsMs` the two parts.
 * Prints one JSON line with p50/p95 in ms. Target: p95 below 50 ms.
 *
 *   flock /tmp/bench.lock npm run bench:dashboard [-- --runs 10000 --points 1000 --iterations 200]
 *
 * Writing the 40 million points takes a while (tens of minutes on a busy 2-core machine); `-- --generate-only`
 * makes the store without timing anything, so it need not hold the bench lock.
 *
 * `-- --write-throughput` instead times logBatch as a training run calls it (4 keys every step, 12 steps = 48 points
 * per batch, 10,000 steps per run, 5 runs) into a fresh store in bench/out/, and prints points/s.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type MetricInput } from '@vgglab/store';
import { createServer, decodeBinarySeries } from '@vgglab/dashboard';
import { compareLines, paramLookup } from '../packages/dashboard/src/web/compare-lines.ts';
import type { ParamsDiff, SeriesJson } from '../packages/dashboard/src/web/api.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = arg('runs', 10_000);
const POINTS = arg('points', 1000);
const ITERATIONS = arg('iterations', 200);
// The page asks for the binary encoding; `--encoding full|compact` times a JSON form.
const ENCODING = args.includes('--encoding') ? args[args.indexOf('--encoding') + 1] : 'binary';
if (ENCODING !== 'binary' && ENCODING !== 'compact' && ENCODING !== 'full') throw new Error(`--encoding must be binary, compact or full, received ${ENCODING}`);
const KEYS = ['train/loss', 'train/accuracy', 'val/loss', 'val/accuracy'];
const COMPARE_RUNS = 10;
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'out', `dashboard-${RUNS}x${POINTS}`);
const dbFile = join(outDir, 'vgglab.db');
const marker = join(outDir, 'complete.json');
const MODELS = ['vgg11', 'vgg13', 'vgg16', 'vgg19', 'vgg11_bn', 'vgg16_bn'];
const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'];
const LRS = [1e-2, 3e-3, 1e-3, 3e-4, 1e-4];

/** Deterministic pseudo-random numbers, so every generated store is the same. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
}

function generate(): { seconds: number } {
  const wanted = JSON.stringify({ RUNS, POINTS, KEYS });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) {
    // Opening for writing migrates a store made by an older schema version (the dashboard opens read-only).
    openStore(dbFile).close();
    return { seconds: 0 };
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  const store = openStore(dbFile);
  const rand = rng(42);
  const t0 = Date.UTC(2026, 0, 1);
  const stepsPerEpoch = 50;
  for (let r = 0; r < RUNS; r++) {
    const model = MODELS[r % MODELS.length];
    const optimizer = OPTIMIZERS[Math.floor(r / MODELS.length) % OPTIMIZERS.length];
    const lr = LRS[Math.floor(r / (MODELS.length * OPTIMIZERS.length)) % LRS.length];
    const startTime = t0 + r * 600_000;
    const run = store.createRun({
      experiment: `sweep-${Math.floor(r / 500)}`,
      name: `run-${String(r).padStart(5, '0')}`,
      resolvedSpec: {
        name: `sweep-${Math.floor(r / 500)}`,
        seed: r % 7,
        model: { name: model, inputShape: [64, 64, 3] },
        data: { name: 'shapes', batchSize: 32 },
        optimizer: { name: optimizer, lr },
        train: { epochs: POINTS / stepsPerEpoch },
      },
      seed: r % 7,
      specHash: `bench-${r}`,
      backend: 'wasm',
      tags: { sweep: `s${Math.floor(r / 500)}`, ...(r % 10 === 0 ? { note: 'baseline' } : {}) },
      startTime,
    });
    const rate = 0.5 + rand() * 3;
    const final = 0.5 + rand() * 0.48;
    const metrics: MetricInput[] = [];
    for (let i = 1; i <= POINTS; i++) {
      const p = i / POINTS;
      const loss = 2 * Math.exp(-rate * p * 3) + 0.05 + (rand() - 0.5) * 0.05;
      const accuracy = 0.2 + (final - 0.2) * (1 - Math.exp(-rate * p * 3)) + (rand() - 0.5) * 0.02;
      const epoch = Math.ceil(i / stepsPerEpoch);
      const timestamp = startTime + i * 500;
      metrics.push(
        { key: KEYS[0], value: loss, step: i, epoch, timestamp },
        { key: KEYS[1], value: accuracy, step: i, epoch, timestamp },
        { key: KEYS[2], value: loss * 1.1, step: i, epoch, timestamp },
        { key: KEYS[3], value: accuracy * 0.97, step: i, epoch, timestamp },
      );
    }
    for (let i = 0; i < metrics.length; i += 1000) store.logBatch(run.id, { metrics: metrics.slice(i, i + 1000) });
    store.setRunStatus(run.id, r % 50 === 0 ? 'failed' : 'finished', { endTime: startTime + POINTS * 500 });
    if ((r + 1) % 1000 === 0) {
      process.stderr.write(`bench:dashboard: ${r + 1}/${RUNS} runs written (${Math.round((Date.now() - started) / 1000)} s)\n`);
    }
  }
  store.close();
  writeFileSync(marker, wanted);
  return { seconds: (Date.now() - started) / 1000 };
}

/**
 * The table in headless chromium (when /usr/bin/chromium exists): time to the first rows, then to the last
 * row after jumping to the bottom of the 10,000-row list, and how many rows the DOM holds (virtualised).
 */
async function browserFigures(url: string) {
  const chromiumPath = '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) return { skipped: `no ${chromiumPath}` };
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    let started = performance.now();
    await page.goto(url);
    await page.getByTestId('run-row').first().waitFor();
    const firstRowsMs = performance.now() - started;
    const total = Number(((await page.getByTestId('run-count').textContent()) ?? '').replace(/[^0-9]/g, ''));
    started = performance.now();
    await page.locator('.tbody').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.locator('[data-testid="run-row"]', { hasText: 'run-00000' }).waitFor({ timeout: 60_000 });
    const scrollToEndMs = performance.now() - started;
    const domRows = await page.getByTestId('run-row').count();
    const round = (v: number) => Math.round(v);
    return { tableRows: total, firstRowsMs: round(firstRowsMs), scrollToEndMs: round(scrollToEndMs), domRows };
  } finally {
    await browser.close();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 100) / 100;
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), n: samples.length };
}

async function time(url: string): Promise<{ ms: number; body: string }> {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${body.slice(0, 200)}`);
  return { ms, body };
}

interface CompareSeries {
  runId: string;
  key?: string;
  value: unknown[];
}

/**
 * The page's lines for a grouped comparison, built from a decoded compare response and `/api/params`' answer, as
 * the compare view builds them; returns the time it took (ms) and the curves drawn (checked: 2 or 3 groups).
 */
function timeGroupedLines(ids: string[], series: CompareSeries[], diff: ParamsDiff): { ms: number; curves: number } {
  const started = performance.now();
  const data = new Map(ids.map((id) => [id, new Map<string, SeriesJson>()]));
  for (const s of series as SeriesJson[]) data.get(s.runId)?.set(s.key, s);
  const { charts } = compareLines({
    runs: ids.map((id) => ({ id, name: id, startTime: 0 })),
    keys: KEYS,
    data,
    seriesOf: (runId, key) => data.get(runId)?.get(key),
    xMode: 'step',
    smoothing: 0,
    paramOf: paramLookup(diff),
    style: { groupBy: ['optimizer.name'], band: 'std', colorBy: '', dashBy: 'model.name' },
  });
  const ms = performance.now() - started;
  const curves = charts[0]!.series.length;
  if (curves < 1 || curves > OPTIMIZERS.length) throw new Error(`grouped compare drew ${curves} curves for ${OPTIMIZERS.length} optimizers`);
  return { ms, curves };
}

/** One compare call, timed as the page makes it: a binary body is read and decoded into column arrays. */
async function timeCompare(url: string): Promise<{ ms: number; bytes: number; series: CompareSeries[] }> {
  const started = performance.now();
  const response = await fetch(url);
  if (ENCODING === 'binary') {
    if (!response.ok) throw new Error(`${url}: ${response.status} ${(await response.text()).slice(0, 200)}`);
    const body = await response.arrayBuffer();
    const decoded = decodeBinarySeries(body);
    const ms = performance.now() - started;
    return { ms, bytes: body.byteLength, series: decoded.series };
  }
  const body = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${body.slice(0, 200)}`);
  // JSON forms are timed to the text, as before. They are checked by scanning, not parsing: parsing 1.6 MB after
  // every call made garbage whose collection landed in the next timed calls (same process as the server).
  const runIds = [...body.matchAll(/"runId":"([^"]+)"/g)].map((m) => m[1]!);
  const lengths = [...body.matchAll(/"totalPoints":(\d+),"downsampled":(true|false)/g)].map((m) => (m[2] === 'false' ? Number(m[1]) : -1));
  return { ms, bytes: Buffer.byteLength(body), series: runIds.map((runId, i) => ({ runId, value: { length: lengths[i] ?? -1 } as unknown[] })) };
}

/** The response holds every run x key asked for, each with all its points. */
function checkCompare(ids: string[], got: { series: CompareSeries[] }): void {
  const wanted = ids.flatMap((id) => KEYS.map(() => id));
  const runs = got.series.map((s) => s.runId);
  if (JSON.stringify(runs) !== JSON.stringify(wanted)) throw new Error(`compare answered runs ${runs.join(',')}, asked ${ids.join(',')}`);
  const short = got.series.find((s) => s.value.length !== POINTS);
  if (short) throw new Error(`compare series of ${short.runId} has ${short.value.length} points, expected ${POINTS}`);
}

/** logBatch points/s for a runner-like pattern: every step logs the 4 keys; a batch holds 12 steps (48 points). */
function writeThroughput() {
  const STEPS = 10_000;
  const STEPS_PER_BATCH = 12;
  const RUN_COUNT = 5;
  mkdirSync(join(here, 'out'), { recursive: true });
  const dir = mkdtempSync(join(here, 'out', 'write-throughput-'));
  const store = openStore(join(dir, 'vgglab.db'));
  const batchMs: number[] = [];
  let points = 0;
  const started = performance.now();
  try {
    for (let r = 0; r < RUN_COUNT; r++) {
      const run = store.createRun({ experiment: 'write-throughput', specHash: `write-${r}`, resolvedSpec: { run: r } });
      const t0 = Date.now();
      for (let from = 1; from <= STEPS; from += STEPS_PER_BATCH) {
        const metrics: MetricInput[] = [];
        for (let step = from; step < from + STEPS_PER_BATCH && step <= STEPS; step++) {
          for (const key of KEYS) metrics.push({ key, value: Math.exp(-step / 3000) + key.length * 1e-3, step, epoch: Math.ceil(step / 100), timestamp: t0 + step * 50 });
        }
        const t = performance.now();
        store.logBatch(run.id, { metrics });
        batchMs.push(performance.now() - t);
        points += metrics.length;
      }
    }
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    bench: 'dashboard-write-throughput',
    pattern: `${KEYS.length} keys x ${STEPS_PER_BATCH} steps per logBatch, ${STEPS} steps x ${RUN_COUNT} runs`,
    points,
    pointsPerSecond: Math.round(points / seconds),
    logBatchMs: summary(batchMs),
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

async function main(): Promise<void> {
  if (args.includes('--write-throughput')) {
    process.stdout.write(`${JSON.stringify(writeThroughput())}\n`);
    return;
  }
  const generated = generate();
  if (args.includes('--generate-only')) {
    process.stdout.write(`${JSON.stringify({ bench: 'dashboard', generated: dbFile, generateSeconds: generated.seconds })}\n`);
    return;
  }
  const app = await createServer({ dbFile });
  // Server-side time of each compare call (request in -> last byte handed to the socket), to tell the server's
  // share from the transport and the client's decoding of the 1.6 MB body (both in this process).
  const compareServerMs: number[] = [];
  let recordServer = false;
  app.addHook('onResponse', async (request, reply) => {
    if (recordServer && request.url.startsWith('/api/metrics?')) compareServerMs.push(reply.elapsedTime);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const tableColumns = '&withParams=model.name,optimizer.name,optimizer.lr&withMetrics=val/accuracy,val/loss,train/loss';
  const listUrl = `${base}/api/runs?limit=100&sort=metric.max:val/accuracy&order=desc${tableColumns}`;
  try {
    // Page tokens spread through the list, as a user scrolling the table far down asks for them.
    const tokens: (string | null)[] = [null];
    let token: string | null = null;
    for (let page = 0; page < 20; page++) {
      const pageUrl = listUrl.replace('limit=100', 'limit=500') + (token ? `&pageToken=${encodeURIComponent(token)}` : '');
      const body = JSON.parse((await time(pageUrl)).body);
      token = body.nextPageToken;
      if (!token) break;
      tokens.push(token);
    }
    // Every run id (sorted by name), to draw distinct 10-run sets: a cold compare reads runs never asked for before.
    const allIds: string[] = [];
    let idToken: string | null = null;
    do {
      const body: { runs: { id: string }[]; nextPageToken: string | null } = JSON.parse(
        (await time(`${base}/api/runs?limit=1000&sort=name&order=asc&withParams=model.name&withMetrics=val/accuracy${idToken ? `&pageToken=${encodeURIComponent(idToken)}` : ''}`)).body,
      );
      allIds.push(...body.runs.map((r) => r.id));
      idToken = body.nextPageToken;
    } while (idToken);
    const stride = 7919; // prime: consecutive sets spread over the whole store
    const runSet = (n: number) => Array.from({ length: COMPARE_RUNS }, (_, j) => allIds[((n * COMPARE_RUNS + j) * stride) % allIds.length]);
    const compareUrlFor = (ids: string[]) => `${base}/api/metrics?runs=${ids.join(',')}&keys=${KEYS.join(',')}&maxPoints=1000&encoding=${ENCODING}`;
    const compareUrl = compareUrlFor(runSet(0));
    // Cold sets must never repeat a run (else the series cache could answer): check it rather than trust the stride.
    // Sets 1..ITERATIONS: cold compares; then 10 for the warm-up; then ITERATIONS for the grouped compares.
    const groupedSet = (i: number) => runSet(ITERATIONS + 11 + i);
    const coldIds = Array.from({ length: (ENCODING === 'binary' ? 2 : 1) * ITERATIONS + 11 }, (_, n) => runSet(n)).flat();
    if (new Set(coldIds).size !== coldIds.length) throw new Error('cold compare run sets overlap: use fewer --iterations');
    const filteredUrl = `${base}/api/runs?limit=100&model=vgg16&optimizer=adam&sort=param:optimizer.lr${tableColumns}`;

    // Warm-up: statement caches and the OS page cache.
    for (let i = 0; i < 10; i++) {
      await time(listUrl);
      checkCompare(runSet(ITERATIONS + 1 + i), await timeCompare(compareUrlFor(runSet(ITERATIONS + 1 + i))));
      await time(filteredUrl);
    }
    await timeCompare(compareUrl);
    const list: number[] = [];
    const listDeep: number[] = [];
    const filtered: number[] = [];
    const compare: number[] = [];
    const compareWarm: number[] = [];
    const paramsDiff: number[] = [];
    const groupLines: number[] = [];
    const compareGrouped: number[] = [];
    let compareBytes = 0;
    let comparePoints = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      list.push((await time(listUrl)).ms);
      const pageToken = tokens.length > 1 ? tokens[1 + (i % (tokens.length - 1))] : null;
      listDeep.push((await time(pageToken ? `${listUrl}&pageToken=${encodeURIComponent(pageToken)}` : listUrl)).ms);
      filtered.push((await time(filteredUrl)).ms);
      // Cold: ten runs never read before (the series cache cannot help). Warm: the same ten again.
      recordServer = true;
      const cold = await timeCompare(compareUrlFor(runSet(i + 1)));
      recordServer = false;
      compare.push(cold.ms);
      checkCompare(runSet(i + 1), cold);
      if (ENCODING === 'binary') {
        const ids = groupedSet(i);
        const started = performance.now();
        const [columns, params] = await Promise.all([timeCompare(compareUrlFor(ids)), time(`${base}/api/params?runs=${ids.join(',')}`)]);
        const grouped = timeGroupedLines(ids, columns.series, JSON.parse(params.body) as ParamsDiff);
        compareGrouped.push(performance.now() - started);
        checkCompare(ids, columns);
        paramsDiff.push(params.ms);
        groupLines.push(grouped.ms);
      }
      const c = await timeCompare(compareUrl);
      compareWarm.push(c.ms);
      checkCompare(runSet(0), c);
      if (i === 0) {
        compareBytes = c.bytes;
        comparePoints = c.series.reduce((a, s) => a + s.value.length, 0);
      }
    }
    const browser = await browserFigures(`${base}/`);
    const result = {
      bench: 'dashboard',
      runs: RUNS,
      pointsPerMetric: POINTS,
      metricKeys: KEYS.length,
      storedPoints: RUNS * POINTS * KEYS.length,
      generateSeconds: generated.seconds,
      transport: 'http 127.0.0.1',
      runListMs: summary(list),
      runListDeepPageMs: summary(listDeep),
      runListFilteredMs: summary(filtered),
      compare10RunsMs: summary(compare),
      compare10RunsServerMs: summary(compareServerMs),
      compare10RunsWarmMs: summary(compareWarm),
      ...(ENCODING === 'binary'
        ? { paramsDiff10RunsMs: summary(paramsDiff), groupLines10RunsMs: summary(groupLines), compare10RunsGroupedMs: summary(compareGrouped) }
        : {}),
      compareResponse: { encoding: ENCODING, series: COMPARE_RUNS * KEYS.length, points: comparePoints, bytes: compareBytes },
      browser,
      targetP95Ms: 50,
      meetsTarget: Math.max(...[list, listDeep, filtered, compare, ...(compareGrouped.length ? [compareGrouped] : [])].map((s) => summary(s).p95)) < 50,
      loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:dashboard: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
