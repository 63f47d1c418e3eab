import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SERIES_BLOCK_POINTS } from '../defaults.ts';
import { migrate, SCHEMA_VERSION } from './schema.ts';
import { decodeBlockInto, emptyPacked } from './series-blocks.ts';
import { downsample } from '../queries/series.ts';
import { openStore } from '../store.ts';
import { tempDir, tempStore } from '../testing/temp.ts';
import type { MetricInput, RunStore } from '../types.ts';

const B = SERIES_BLOCK_POINTS;

/** Deterministic pseudo-random numbers. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
}

type Row = [step: number, value: number | null, epoch: number | null, timestamp: number];

/**
 * Checks every series of the file: its blocks, decoded, are exactly its rows (NaN value for a NULL row value, NaN
 * epoch for a NULL epoch), keyed by their first step, every block but the last full; no blocks without a series.
 * Returns the number of blocks seen.
 */
function expectBlocksMatchRows(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const seriesIds = db.prepare('SELECT id FROM series ORDER BY id').pluck().all() as number[];
    const orphans = db.prepare('SELECT count(*) FROM series_blocks WHERE series_id NOT IN (SELECT id FROM series)').pluck().get();
    expect(orphans, 'blocks of series that no longer exist').toBe(0);
    let blockCount = 0;
    for (const id of seriesIds) {
      const rows = db.prepare('SELECT step, value, epoch, timestamp FROM metrics WHERE series_id = ? ORDER BY step').raw().all(id) as Row[];
      const blocks = db.prepare('SELECT first_step, count, data FROM series_blocks WHERE series_id = ? ORDER BY first_step').raw().all(id) as [
        number,
        number,
        Buffer,
      ][];
      blockCount += blocks.length;
      const total = blocks.reduce((n, [, count]) => n + count, 0);
      expect(total, `series ${id}: points in blocks`).toBe(rows.length);
      const points = emptyPacked(total);
      let at = 0;
      blocks.forEach(([firstStep, count, data], i) => {
        decodeBlockInto(data, count, points, at);
        expect(points.step[at], `series ${id} block ${i} key`).toBe(firstStep);
        if (i < blocks.length - 1) expect(count, `series ${id} block ${i} is not the last, so full`).toBe(B);
        at += count;
      });
      const decoded: Row[] = Array.from({ length: total }, (_, i) => [
        points.step[i]!,
        Number.isNaN(points.value[i]!) ? null : points.value[i]!,
        Number.isNaN(points.epoch[i]!) ? null : points.epoch[i]!,
        points.timestamp[i]!,
      ]);
      expect(decoded, `series ${id}`).toEqual(rows);
    }
    return blockCount;
  } finally {
    db.close();
  }
}

/**
 * The series as the row path reads it (getMetricHistory), only the rows with stepMin <= step <= stepMax when a range
 * is given, bucketed by the reference `downsample`, as columns.
 */
function referenceColumns(store: RunStore, runId: string, key: string, maxPoints: number, range?: { stepMin: number; stepMax: number }) {
  const history = store.getMetricHistory(runId, key).filter((p) => !range || (p.step >= range.stepMin && p.step <= range.stepMax));
  const rows = history.map((p) => [p.step, p.epoch, Number.isNaN(p.value) ? null : p.value, p.timestamp] as [number, number | null, number | null, number]);
  if (rows.length <= maxPoints) {
    return { totalPoints: rows.length, downsampled: false, step: rows.map((r) => r[0]), epoch: rows.map((r) => r[1]), timestamp: rows.map((r) => r[3]), value: history.map((p) => p.value) };
  }
  const points = downsample(rows, rows[0]![0], rows.at(-1)![0], maxPoints);
  return {
    totalPoints: rows.length,
    downsampled: true,
    step: points.map((p) => p.step),
    epoch: points.map((p) => p.epoch),
    timestamp: points.map((p) => p.timestamp),
    value: points.map((p) => p.value),
    min: points.map((p) => p.min),
    max: points.map((p) => p.max),
    count: points.map((p) => p.count),
  };
}

function randomValue(rand: () => number): number {
  const r = rand();
  return r < 0.03 ? Number.NaN : r < 0.04 ? Infinity : r < 0.05 ? -Infinity : rand() * 4 - 2;
}

describe('packed series blocks', () => {
  it('always equal the rows after random logBatch sequences: appends, overwrites, out-of-order steps, deletions, NaN/±Inf, null epochs', () => {
    const store = tempStore();
    const rand = random(7);
    const runs = [0, 1, 2].map((i) => store.createRun({ specHash: `h${i}`, experiment: 'e', resolvedSpec: { i } }).id);
    const keys = ['loss', 'acc', 'val/loss'];
    const next = new Map<string, number>(); // next append step per run x key
    let checks = 0;
    for (let op = 0; op < 300; op++) {
      const runId = runs[Math.floor(rand() * runs.length)]!;
      const kind = rand();
      const metrics: MetricInput[] = [];
      const early: MetricInput[] = []; // logged in a batch of their own before `metrics`
      const batchKeys = keys.filter(() => rand() < 0.7);
      if (batchKeys.length === 0) batchKeys.push(keys[0]!);
      for (const key of batchKeys) {
        const id = `${runId}/${key}`;
        const end = next.get(id) ?? Math.floor(rand() * 5);
        if (kind < 0.55 || end === 0) {
          // append: 1..~300 steps with gaps, sometimes crossing a block boundary
          const n = 1 + Math.floor(rand() * (rand() < 0.3 ? 300 : 40));
          let step = end;
          for (let i = 0; i < n; i++) {
            metrics.push({ key, value: randomValue(rand), step, epoch: rand() < 0.2 ? null : Math.floor(step / 100), timestamp: 1_000_000 + step * 10 });
            step += 1 + (rand() < 0.1 ? Math.floor(rand() * 5) : 0);
          }
          next.set(id, step);
        } else if (kind < 0.8) {
          // overwrite some old steps (present or in gaps), unordered, with duplicates within the batch
          for (let i = 0; i < 1 + Math.floor(rand() * 20); i++) {
            const step = Math.floor(rand() * end);
            metrics.push({ key, value: randomValue(rand), step, epoch: rand() < 0.5 ? null : 3.5, timestamp: 2_000_000 + op });
          }
        } else if (kind < 0.9) {
          // out of order: a new step far ahead (its own batch), then steps before it
          const ahead = end + 50 + Math.floor(rand() * 600);
          early.push({ key, value: randomValue(rand), step: ahead, timestamp: 3_000_000 + op });
          for (let s = end; s < ahead; s += 1 + Math.floor(rand() * 7)) metrics.push({ key, value: randomValue(rand), step: s, epoch: 1, timestamp: 3_000_000 + s });
          next.set(id, ahead + 1);
        }
      }
      if (kind >= 0.9 && kind < 0.95) {
        const cut = Math.floor(rand() * 3000);
        store.deleteMetricsAfter(runId, cut);
        for (const key of keys) if ((next.get(`${runId}/${key}`) ?? 0) > cut) next.set(`${runId}/${key}`, cut + 1);
      } else if (kind >= 0.95) {
        const cut = Math.floor(rand() * 3000);
        store.resumeRun(runId, { fromStep: cut });
        for (const key of keys) if ((next.get(`${runId}/${key}`) ?? 0) > cut) next.set(`${runId}/${key}`, cut + 1);
      } else {
        if (early.length > 0) store.logBatch(runId, { metrics: early });
        for (let i = 0; i < metrics.length; i += 1000) store.logBatch(runId, { metrics: metrics.slice(i, i + 1000) });
      }
      if (op % 10 === 9) {
        expectBlocksMatchRows(store.file);
        checks++;
      }
    }
    expect(checks).toBe(30);
    // The run did cross block boundaries, and reads through blocks match the row path.
    const db = new Database(store.file, { readonly: true });
    const longest = db.prepare('SELECT max(count) FROM series').pluck().get() as number;
    db.close();
    expect(longest).toBeGreaterThan(2 * B);
    for (const maxPoints of [2, 100, 1000, 5000]) {
      for (const c of store.getMetricColumns({ runIds: runs, keys, maxPoints })) {
        const { runId, key, ...columns } = c;
        if (c.totalPoints === 0) continue;
        expect(columns, `${runId} ${key} maxPoints ${maxPoints}`).toEqual(referenceColumns(store, runId, key, maxPoints));
      }
    }
    store.setRunStatus(runs[0]!, 'finished'); // a running run cannot be deleted
    store.deleteRun(runs[0]!);
    expectBlocksMatchRows(store.file);
  });

  it('getMetricColumns and getPackedMetricColumns equal the row path, downsampled or not, across block boundaries', () => {
    const store = tempStore();
    const rand = random(3);
    const a = store.createRun({ specHash: 'a', experiment: 'e', resolvedSpec: {} }).id;
    const b = store.createRun({ specHash: 'b', experiment: 'e', resolvedSpec: {} }).id;
    const metrics: MetricInput[] = [];
    let step = -40;
    for (let i = 0; i < 3 * B + 17; i++) {
      step += 1 + Math.floor(rand() * 9);
      metrics.push({ key: 'loss', value: randomValue(rand), step, epoch: i % 4 === 0 ? null : i / 7, timestamp: 1_700_000_000_000 + i * 613 });
    }
    for (let i = 0; i < metrics.length; i += 37) store.logBatch(a, { metrics: metrics.slice(i, i + 37) });
    store.logBatch(b, { metrics: [{ key: 'loss', value: -Infinity, step: 5, timestamp: 1 }] });
    for (const maxPoints of [2, 3, 10, 500, B, 3 * B + 16, 3 * B + 17, 10_000]) {
      const query = { runIds: [a, b], keys: ['loss', 'absent'], maxPoints };
      const plain = store.getMetricColumns(query);
      const packed = store.getPackedMetricColumns(query);
      expect(plain.map((c) => [c.runId, c.key])).toEqual([[a, 'loss'], [a, 'absent'], [b, 'loss'], [b, 'absent']]);
      plain.forEach((c, i) => {
        const { runId, key, ...columns } = c;
        if (key === 'absent') expect(columns).toEqual({ totalPoints: 0, downsampled: false, step: [], epoch: [], timestamp: [], value: [] });
        else expect(columns, `${runId} maxPoints ${maxPoints}`).toEqual(referenceColumns(store, runId, key, maxPoints));
        const p = packed[i]!;
        expect([p.runId, p.key, p.totalPoints, p.downsampled]).toEqual([runId, key, c.totalPoints, c.downsampled]);
        expect(Array.from(p.step)).toEqual(c.step);
        expect(Array.from(p.epoch, (e) => (Number.isNaN(e) ? null : e))).toEqual(c.epoch);
        expect(Array.from(p.timestamp)).toEqual(c.timestamp);
        expect(Array.from(p.value)).toEqual(c.value);
        for (const name of ['min', 'max', 'count'] as const) expect(p[name] && Array.from(p[name]!)).toEqual(c[name]);
      });
      expect(plain[0]!.downsampled).toBe(maxPoints < 3 * B + 17);
    }
  });

  it('a step range buckets only the rows in it (same rule), across block boundaries, empty, beyond the data, one end open', () => {
    const store = tempStore();
    const rand = random(5);
    const a = store.createRun({ specHash: 'a', experiment: 'e', resolvedSpec: {} }).id;
    const metrics: MetricInput[] = [];
    let step = -30;
    for (let i = 0; i < 4 * B + 33; i++) {
      step += 1 + (rand() < 0.2 ? Math.floor(rand() * 6) : 0);
      metrics.push({ key: 'loss', value: randomValue(rand), step, epoch: i % 5 === 0 ? null : Math.floor(i / 100), timestamp: 1_700_000_000_000 + i * 250 });
    }
    for (let i = 0; i < metrics.length; i += 300) store.logBatch(a, { metrics: metrics.slice(i, i + 300) });
    const steps = metrics.map((m) => m.step);
    const [first, last] = [steps[0]!, steps.at(-1)!];
    const blockStart = (k: number) => steps[k * B]!;
    const ranges: [string, number, number][] = [
      ['inside one block', steps[10]!, steps[200]!],
      ['across two block boundaries', steps[B - 40]!, steps[2 * B + 40]!],
      ['from a block boundary to one before the next', blockStart(1), blockStart(2) - 1],
      ['one step', steps[700]!, steps[700]!],
      ['a gap between two logged steps', steps[3]! + 1, steps[3]! + 1 === steps[4]! ? steps[3]! : steps[4]! - 1],
      ['the whole series and more', first - 1000, last + 1000],
      ['beyond the data', last + 1, last + 5000],
      ['before the data', first - 500, first - 1],
      ['the last points', steps.at(-20)!, last + 100],
    ];
    for (const maxPoints of [2, 50, 300, 5000]) {
      for (const [name, stepMin, stepMax] of ranges) {
        if (stepMin > stepMax) continue;
        const query = { runIds: [a], keys: ['loss', 'absent'], maxPoints, stepMin, stepMax };
        const [plain, absent] = store.getMetricColumns(query);
        const { runId, key, ...columns } = plain!;
        const reference = referenceColumns(store, a, 'loss', maxPoints, { stepMin, stepMax });
        expect(columns, `${name} maxPoints ${maxPoints}`).toEqual(reference);
        expect(columns.totalPoints, name).toBe(steps.filter((s) => s >= stepMin && s <= stepMax).length);
        expect(absent).toMatchObject({ key: 'absent', totalPoints: 0, downsampled: false, step: [] });
        const [packed] = store.getPackedMetricColumns(query);
        expect([packed!.totalPoints, packed!.downsampled]).toEqual([columns.totalPoints, columns.downsampled]);
        expect(Array.from(packed!.step)).toEqual(columns.step);
        expect(Array.from(packed!.value)).toEqual(columns.value);
        for (const m of ['min', 'max', 'count'] as const) expect(packed![m] && Array.from(packed![m]!)).toEqual(columns[m]);
        // getMetricSeries takes the range too
        expect(store.getMetricSeries(query)[0]!.points.map((p) => p.step)).toEqual(columns.step);
      }
    }
    // Empty and beyond the data: no points, not downsampled.
    expect(store.getMetricColumns({ runIds: [a], keys: ['loss'], stepMin: last + 1, stepMax: last + 9 })[0]).toMatchObject({ totalPoints: 0, downsampled: false, step: [], value: [] });
    // One end open: from stepMin to the last point, or from the first point to stepMax.
    const from = steps[1500]!;
    expect(store.getMetricColumns({ runIds: [a], keys: ['loss'], maxPoints: 100, stepMin: from })[0]).toMatchObject(
      referenceColumns(store, a, 'loss', 100, { stepMin: from, stepMax: last }),
    );
    expect(store.getMetricColumns({ runIds: [a], keys: ['loss'], maxPoints: 100, stepMax: from })[0]).toMatchObject(
      referenceColumns(store, a, 'loss', 100, { stepMin: first, stepMax: from }),
    );
    // A whole-series range buckets like no range at all.
    const whole = store.getMetricColumns({ runIds: [a], keys: ['loss'], maxPoints: 300 })[0];
    expect(store.getMetricColumns({ runIds: [a], keys: ['loss'], maxPoints: 300, stepMin: first, stepMax: last })[0]).toEqual(whole);
    // Bad ranges name the field.
    expect(() => store.getMetricColumns({ runIds: [a], keys: ['loss'], stepMin: 10, stepMax: 9 })).toThrow(/stepMin must not exceed stepMax, received stepMin 10 and stepMax 9/);
    expect(() => store.getPackedMetricColumns({ runIds: [a], keys: ['loss'], stepMin: 1.5 })).toThrow(/stepMin must be a safe integer, received 1.5/);
    expect(() => store.getMetricColumns({ runIds: [a], keys: ['loss'], stepMax: Number.NaN })).toThrow(/stepMax must be a safe integer/);
  });

  it('a step range reads only the blocks that overlap it', () => {
    const store = tempStore();
    const a = store.createRun({ specHash: 'a', experiment: 'e', resolvedSpec: {} }).id;
    const metrics: MetricInput[] = Array.from({ length: 4 * B }, (_, i) => ({ key: 'loss', value: i, step: i, timestamp: i }));
    for (let i = 0; i < metrics.length; i += 1000) store.logBatch(a, { metrics: metrics.slice(i, i + 1000) });
    store.close();
    // Damage the first and last blocks: a read that touches them fails; a range within blocks 1..2 does not.
    const db = new Database(store.file);
    db.prepare('UPDATE series_blocks SET data = x\'00\' WHERE first_step IN (0, ?)').run(3 * B);
    db.close();
    const reader = openStore(store.file, { readonly: true });
    expect(() => reader.getMetricColumns({ runIds: [a], keys: ['loss'] })).toThrow(/the run store is damaged/);
    expect(() => reader.getMetricColumns({ runIds: [a], keys: ['loss'], stepMin: B - 1, stepMax: 2 * B })).toThrow(/damaged/);
    const inside = reader.getMetricColumns({ runIds: [a], keys: ['loss'], maxPoints: 10_000, stepMin: B, stepMax: 3 * B - 1 })[0]!;
    expect(inside.totalPoints).toBe(2 * B);
    expect(inside.step).toEqual(Array.from({ length: 2 * B }, (_, i) => B + i));
    expect(inside.value).toEqual(inside.step);
    reader.close();
  });

  it('a version-3 file is migrated: blocks built from its rows, every row and latest value kept', () => {
    const file = join(tempDir(), 'v3.db');
    const db = new Database(file);
    migrate(db, file, 3);
    db.exec(`INSERT INTO experiments(id, name, created_at) VALUES (1, 'old', 0);
      INSERT INTO runs(pk, id, experiment_id, name, status, start_time, heartbeat_at, resolved_spec, spec_hash, host)
        VALUES (1, 'run00001', 1, 'r1', 'finished', 0, 0, '{}', 'h1', 'host'), (2, 'run00002', 1, 'r2', 'finished', 0, 0, '{}', 'h2', 'host');`);
    const rand = random(11);
    const insertSeries = db.prepare(
      `INSERT INTO series(id, run_pk, key, value, step, epoch, timestamp, min, min_step, max, max_step, count) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?)`,
    );
    const insertPoint = db.prepare('INSERT INTO metrics(series_id, step, epoch, value, timestamp, seq) VALUES (?, ?, ?, ?, ?, ?)');
    let seq = 0;
    const lengths = [1, B - 1, B, B + 1, 2 * B + 300];
    lengths.forEach((n, i) => {
      const id = i + 1;
      let step = 0;
      let last: Row = [0, null, null, 0];
      db.transaction(() => {
        for (let k = 0; k < n; k++) {
          step += 1 + Math.floor(rand() * 3);
          const v = randomValue(rand);
          last = [step, Number.isNaN(v) ? null : v, k % 3 === 0 ? null : k / 50, 1000 + k];
          insertPoint.run(id, step, last[2], last[1], last[3], ++seq);
        }
        insertSeries.run(id, (i % 2) + 1, `key${i}`, last[1], last[0], last[2], last[3], n);
      })();
    });
    db.exec(`UPDATE counters SET value = ${seq} WHERE name = 'metric_seq'`);
    const rowsBefore = db.prepare('SELECT * FROM metrics ORDER BY series_id, step').all();
    const seriesBefore = db.prepare('SELECT * FROM series ORDER BY id').all();
    db.close();

    const store = openStore(file);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    store.close();
    expect(expectBlocksMatchRows(file)).toBe(1 + 1 + 1 + 2 + 3);
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(after.prepare('SELECT * FROM metrics ORDER BY series_id, step').all()).toEqual(rowsBefore);
    expect(after.prepare('SELECT * FROM series ORDER BY id').all()).toEqual(seriesBefore);
    after.close();
    const reader = openStore(file, { readonly: true });
    for (const maxPoints of [5, 1000]) {
      for (const c of reader.getMetricColumns({ runIds: ['run00001', 'run00002'], keys: lengths.map((_, i) => `key${i}`), maxPoints })) {
        const { runId, key, ...columns } = c;
        if (c.totalPoints === 0) continue;
        expect(columns, `${key} maxPoints ${maxPoints}`).toEqual(referenceColumns(reader, runId, key, maxPoints));
      }
    }
    reader.close();
  });
});
