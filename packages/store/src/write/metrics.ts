/**
 * Metric points of a run, inside the caller's write transaction: the rows, the latest/best `series` row and the
 * packed blocks change together.
 */
import type Database from 'better-sqlite3';
import type { Connection } from '../storage/connection.ts';
import { type SeriesRow, toDb } from '../storage/rows.ts';
import type { MetricInput } from '../types.ts';

/** Rows per multi-row INSERT of metric points (6 bound values each, far below SQLite's 32766). */
const METRIC_INSERT_CHUNK = 100;

type SeqPoint = MetricInput & { timestamp: number; seq: number };

interface BatchStats {
  latest: MetricInput & { timestamp: number };
  min: number | null;
  minStep: number | null;
  max: number | null;
  maxStep: number | null;
}

export function insertMetrics(c: Connection, pk: number, metrics: readonly MetricInput[], now: number): void {
  // Group by key; within a key, the last point logged for a step wins (the same rule as across batches).
  // Each point's seq follows its position in the batch, so live readers get points in the order logged.
  const base = (c.sql("SELECT value FROM counters WHERE name = 'metric_seq'").get() as { value: number }).value;
  const byKey = new Map<string, Map<number, SeqPoint>>();
  metrics.forEach((m, i) => {
    let steps = byKey.get(m.key);
    if (!steps) byKey.set(m.key, (steps = new Map()));
    steps.set(m.step, { ...m, timestamp: m.timestamp ?? now, seq: base + i + 1 });
  });
  for (const [key, steps] of byKey) insertSeriesPoints(c, pk, key, [...steps.values()].sort((a, b) => a.step - b.step));
  c.sql("UPDATE counters SET value = ? WHERE name = 'metric_seq'").run(base + metrics.length);
}

/** One key's new points, in step order. */
function insertSeriesPoints(c: Connection, pk: number, key: string, points: SeqPoint[]): void {
  const stats = batchStats(points);
  const series = c.sql('SELECT * FROM series WHERE run_pk = ? AND key = ?').get(pk, key) as SeriesRow | undefined;
  let seriesId: number;
  if (!series) {
    const l = stats.latest;
    seriesId = Number(
      c
        .sql(
          `INSERT INTO series(run_pk, key, value, step, epoch, timestamp, min, min_step, max, max_step, count)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(pk, key, toDb(l.value), l.step, l.epoch ?? null, l.timestamp, stats.min, stats.minStep, stats.max, stats.maxStep, points.length)
        .lastInsertRowid,
    );
  } else {
    seriesId = series.id;
  }
  for (let i = 0; i < points.length; i += METRIC_INSERT_CHUNK) {
    const chunk = points.slice(i, i + METRIC_INSERT_CHUNK);
    const values: (number | null)[] = [];
    for (const p of chunk) values.push(seriesId, p.step, p.epoch ?? null, toDb(p.value), p.timestamp, p.seq);
    insertPointsStatement(c, chunk.length).run(values);
  }
  if (!series || points[0]!.step > series.step) {
    if (series) appendSeries(c, series, stats, points.length);
    c.blocks.append(seriesId, points);
  } else {
    // Overwrote or filled in earlier steps: derive everything again from the rows.
    c.blocks.rebuildFrom(seriesId, points[0]!.step);
    recomputeSeries(c, series.id);
  }
}

function insertPointsStatement(c: Connection, rows: number): Database.Statement {
  // INSERT OR REPLACE: re-logging a step replaces the point (and gives it a new seq, so live readers see it).
  return c.sql(`INSERT OR REPLACE INTO metrics(series_id, step, epoch, value, timestamp, seq) VALUES ${'(?, ?, ?, ?, ?, ?), '.repeat(rows).slice(0, -2)}`);
}

/** The common case: every new point comes after the stored ones, so latest/best update incrementally. */
function appendSeries(c: Connection, series: SeriesRow, stats: BatchStats, added: number): void {
  const l = stats.latest;
  let { min, min_step: minStep, max, max_step: maxStep } = series;
  if (stats.min !== null && (min === null || stats.min < min)) [min, minStep] = [stats.min, stats.minStep];
  if (stats.max !== null && (max === null || stats.max > max)) [max, maxStep] = [stats.max, stats.maxStep];
  c.sql(
    `UPDATE series SET value = ?, step = ?, epoch = ?, timestamp = ?, min = ?, min_step = ?, max = ?, max_step = ?,
       count = count + ? WHERE id = ?`,
  ).run(toDb(l.value), l.step, l.epoch ?? null, l.timestamp, min, minStep, max, maxStep, added, series.id);
}

/** Derives a series' latest/best values from its stored points; removes the series when none are left. */
function recomputeSeries(c: Connection, seriesId: number): void {
  const agg = c.sql('SELECT count(*) AS count, min(value) AS min, max(value) AS max FROM metrics WHERE series_id = ?').get(seriesId) as {
    count: number;
    min: number | null;
    max: number | null;
  };
  if (agg.count === 0) {
    c.sql('DELETE FROM series WHERE id = ?').run(seriesId);
    return;
  }
  const last = c.sql('SELECT step, epoch, value, timestamp FROM metrics WHERE series_id = ? ORDER BY step DESC LIMIT 1').get(seriesId) as {
    step: number;
    epoch: number | null;
    value: number | null;
    timestamp: number;
  };
  const firstStepWith = (value: number | null): number | null =>
    value === null
      ? null
      : (c.sql('SELECT step FROM metrics WHERE series_id = ? AND value = ? ORDER BY step LIMIT 1').get(seriesId, value) as { step: number }).step;
  c.sql(
    `UPDATE series SET value = ?, step = ?, epoch = ?, timestamp = ?, min = ?, min_step = ?, max = ?, max_step = ?,
       count = ? WHERE id = ?`,
  ).run(last.value, last.step, last.epoch, last.timestamp, agg.min, firstStepWith(agg.min), agg.max, firstStepWith(agg.max), agg.count, seriesId);
}

/** Deletes the run's points with step > `step` (every key), keeping blocks and latest/best in step. */
export function deleteMetricsAfterStep(c: Connection, pk: number, step: number): number {
  const series = c.sql('SELECT id FROM series WHERE run_pk = ?').all(pk) as { id: number }[];
  let deleted = 0;
  for (const s of series) {
    const info = c.sql('DELETE FROM metrics WHERE series_id = ? AND step > ?').run(s.id, step);
    deleted += info.changes;
    if (info.changes > 0) {
      c.blocks.rebuildFrom(s.id, step + 1);
      recomputeSeries(c, s.id);
    }
  }
  return deleted;
}

function batchStats(sortedPoints: (MetricInput & { timestamp: number })[]): BatchStats {
  const stats: BatchStats = { latest: sortedPoints[sortedPoints.length - 1]!, min: null, minStep: null, max: null, maxStep: null };
  for (const p of sortedPoints) {
    if (Number.isNaN(p.value)) continue;
    if (stats.min === null || p.value < stats.min) [stats.min, stats.minStep] = [p.value, p.step];
    if (stats.max === null || p.value > stats.max) [stats.max, stats.maxStep] = [p.value, p.step];
  }
  return stats;
}
