/**
 * The compare table's rows (pure): the params that differ between the compared runs, as written (a param set in one
 * run only, '–' in every other, is left out and counted: it is usually a plugin option of one choice, such as sgd's
 * momentum), and for each metric its best and last value per run, the best of each row marked. System metrics
 * (`sys/…`: CPU, memory, throughput of the process) are left out: they are no measure of a model.
 */
import type { CompareJson } from '../wire/compare-json.ts';
import { lowerIsBetter } from './param-scatter.ts';
import { varyingParams } from './params-vary.ts';
import { orderMetricKeys } from './series.ts';

export type CompareRun = CompareJson['runs'][number];

export interface ParamRow {
  key: string;
  values: (string | null)[];
}

export interface MetricRow {
  key: string;
  /** `best`: the min of a loss-like key, the max of any other; `last`: the latest value. */
  kind: 'best' | 'last';
  /** Which of min/max `best` is, for the label. */
  direction: 'min' | 'max';
  values: (number | null)[];
  /** Index of the best value of the row (ties: the first), -1 when no run has one. */
  bestIndex: number;
}

export interface CompareRows {
  params: ParamRow[];
  /** Params that differ only by being set in one run: left out of `params` unless asked for. */
  singleRunParams: ParamRow[];
  metrics: MetricRow[];
}

/** Index of the best value (max, or min when lower is better); -1 when there is none. */
export function bestIndexOf(values: readonly (number | null)[], lower: boolean): number {
  let best = -1;
  values.forEach((v, i) => {
    if (v === null) return;
    if (best < 0 || (lower ? v < values[best]! : v > values[best]!)) best = i;
  });
  return best;
}

export function compareRows(runs: readonly CompareRun[]): CompareRows {
  const { varying } = varyingParams(runs);
  const params: ParamRow[] = [];
  const singleRunParams: ParamRow[] = [];
  for (const key of varying) {
    const values = runs.map((r) => r.params[key] ?? null);
    const present = values.filter((v) => v !== null).length;
    (present === 1 ? singleRunParams : params).push({ key, values });
  }
  const keys = orderMetricKeys([...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].filter((k) => !k.startsWith('sys/')));
  const metrics = keys.flatMap((key): MetricRow[] => {
    const lower = lowerIsBetter(key);
    const direction = lower ? 'min' : 'max';
    const best = runs.map((r) => r.metrics[key]?.[direction] ?? null);
    const last = runs.map((r) => r.metrics[key]?.last ?? null);
    return [
      { key, kind: 'best', direction, values: best, bestIndex: bestIndexOf(best, lower) },
      { key, kind: 'last', direction, values: last, bestIndex: bestIndexOf(last, lower) },
    ];
  });
  return { params, singleRunParams, metrics };
}
