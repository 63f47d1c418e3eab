/** Turning stored series into chart curves: x axes, min/max bands of downsampled series, smoothing, live appends. */
import type { LivePoint, SeriesJson } from './api.ts';
import type { XMode } from './x-mode.ts';

/** Series of one run, by metric key. */
export type RunSeries = Map<string, SeriesJson>;

/**
 * Epoch axis: integer epochs become fractional by step, so points logged within an epoch spread across it and
 * x reads "epochs completed" (the point at an epoch's last step sits on the epoch's number).
 */
export function epochMapper(runSeries: RunSeries): (step: number, epoch: number | null) => number | null {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let fractional = false;
  for (const s of runSeries.values()) {
    for (let i = 0; i < s.step.length; i++) {
      const e = s.epoch[i];
      if (e === null || e === undefined) continue;
      if (!Number.isInteger(e)) fractional = true;
      const st = s.step[i];
      first.set(e, Math.min(first.get(e) ?? Infinity, st));
      last.set(e, Math.max(last.get(e) ?? -Infinity, st));
    }
  }
  if (fractional) return (_step, epoch) => epoch;
  const epochs = [...last.keys()].sort((a, b) => a - b);
  const oneBased = epochs.length > 0 && epochs[0] >= 1;
  const previousEnd = new Map<number, number>();
  epochs.forEach((e, i) => previousEnd.set(e, i > 0 ? last.get(epochs[i - 1])! : Math.min(0, first.get(e)! - 1)));
  return (step, epoch) => {
    if (epoch === null || epoch === undefined) return null;
    const base = oneBased ? epoch - 1 : epoch;
    const start = previousEnd.get(epoch);
    const end = last.get(epoch);
    if (start === undefined || end === undefined || end <= start) return base + 1;
    return base + Math.min(1, Math.max(0, (step - start) / (end - start)));
  };
}

/**
 * The spread of a downsampled series: for each drawn point, the lowest and highest value of the raw points its
 * bucket stands for. null where that is unknown (a bucket of NaN only, or one holding ±Infinity, which the API
 * sends as null): the band has a gap there rather than a made-up extent.
 */
export interface Band {
  lo: (number | null)[];
  hi: (number | null)[];
}

export interface Curve {
  x: number[];
  y: (number | null)[];
  /** Only for downsampled series (a raw series' band would be the line itself). */
  band?: Band;
}

const finiteOrNull = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Band bounds of point i. Points past the end of `min`/`max` were appended live after the downsampled load and
 * stand for themselves (their own value is their min and max).
 */
export function bandBounds(series: SeriesJson, i: number): [number | null, number | null] {
  const { min, max } = series;
  let lo: number | null;
  let hi: number | null;
  if (min && max && i < min.length && i < max.length) {
    lo = finiteOrNull(min[i]);
    hi = finiteOrNull(max[i]);
  } else {
    lo = hi = finiteOrNull(series.value[i]);
  }
  if (lo === null || hi === null) return [null, null];
  return lo <= hi ? [lo, hi] : [hi, lo];
}

/** x of point i of a series on the chosen axis (null where it has none: a point without epoch on the epoch axis). */
export function xOf(
  series: SeriesJson,
  i: number,
  xMode: XMode,
  runStart: number,
  toEpoch: (step: number, epoch: number | null) => number | null,
): number | null {
  return xMode === 'step'
    ? series.step[i]
    : xMode === 'epoch'
      ? toEpoch(series.step[i], series.epoch[i])
      : xMode === 'relative'
        ? (series.timestamp[i] - runStart) / 1000
        : series.timestamp[i] / 1000;
}

/** x and y of one series for the chosen axis; x strictly increasing (a repeated x keeps the later point). */
export function curve(
  series: SeriesJson,
  xMode: XMode,
  runStart: number,
  toEpoch: (step: number, epoch: number | null) => number | null,
): Curve {
  const x: number[] = [];
  const y: (number | null)[] = [];
  const withBand = series.downsampled && series.min !== undefined && series.max !== undefined;
  const lo: (number | null)[] = [];
  const hi: (number | null)[] = [];
  for (let i = 0; i < series.step.length; i++) {
    const xi = xOf(series, i, xMode, runStart, toEpoch);
    if (xi === null || !Number.isFinite(xi)) continue;
    const n = x.length;
    if (n > 0 && xi <= x[n - 1]) {
      if (xi === x[n - 1]) {
        y[n - 1] = series.value[i];
        if (withBand) {
          // Two buckets on one x (e.g. same timestamp): the band spans both.
          const [l, h] = bandBounds(series, i);
          lo[n - 1] = l === null ? lo[n - 1] : lo[n - 1] === null ? l : Math.min(lo[n - 1]!, l);
          hi[n - 1] = h === null ? hi[n - 1] : hi[n - 1] === null ? h : Math.max(hi[n - 1]!, h);
        }
      }
      continue;
    }
    x.push(xi);
    y.push(series.value[i]);
    if (withBand) {
      const [l, h] = bandBounds(series, i);
      lo.push(l);
      hi.push(h);
    }
  }
  return withBand ? { x, y, band: { lo, hi } } : { x, y };
}

/** Exponential moving average with TensorBoard's debiasing; weight 0 returns the values unchanged. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    count++;
    return last / (1 - Math.pow(weight, count));
  });
}

/** Appends live points to the loaded series (same step again replaces the value). Returns whether anything changed. */
export function appendLivePoints(byRun: Map<string, RunSeries>, points: LivePoint[]): boolean {
  let changed = false;
  for (const p of points) {
    const runSeries = byRun.get(p.runId);
    if (!runSeries) continue;
    let s = runSeries.get(p.key);
    if (!s) {
      s = { runId: p.runId, key: p.key, totalPoints: 0, downsampled: false, step: [], epoch: [], timestamp: [], value: [] };
      runSeries.set(p.key, s);
    }
    const n = s.step.length;
    if (n > 0 && p.step < s.step[n - 1]) continue;
    if (n > 0 && p.step === s.step[n - 1]) {
      s.value[n - 1] = p.value;
      s.timestamp[n - 1] = p.timestamp;
    } else {
      s.step.push(p.step);
      s.epoch.push(p.epoch);
      s.timestamp.push(p.timestamp);
      s.value.push(p.value);
      s.totalPoints++;
    }
    changed = true;
  }
  return changed;
}

/** Charts first show loss and accuracy, train before validation, then every other key alphabetically. */
export function orderMetricKeys(keys: string[]): string[] {
  const rank = (key: string) => {
    const k = key.toLowerCase();
    const kind = /loss/.test(k) ? 0 : /acc/.test(k) ? 1 : 2;
    const split = /^train|\/train|^training/.test(k) ? 0 : /^val|\/val|valid/.test(k) ? 1 : 2;
    return kind * 3 + split;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
