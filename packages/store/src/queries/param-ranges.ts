/**
 * Run-list filters on param ranges (a parallel-coordinates brush: `optimizer.lr` in [1e-4, 1e-2], `model.name` one of
 * a few values) and on the star, as SQL conditions over `runs r`.
 */
import type { ParamRange, RunListQuery } from '../types.ts';
import { checkKey, invalid, show } from '../validate.ts';

type SqlValue = string | number | null;

/** Most values one range may list. */
const MAX_RANGE_VALUES = 500;

function checkRange(range: ParamRange, where: string): void {
  if (range === null || typeof range !== 'object') throw invalid(`${where} must be { key, min, max } or { key, values }, received ${show(range)}`);
  checkKey(range.key, `${where}.key`);
  if (range.values !== undefined) {
    if (!Array.isArray(range.values) || range.values.length > MAX_RANGE_VALUES || range.values.some((v) => typeof v !== 'string')) {
      throw invalid(`${where}.values must be an array of at most ${MAX_RANGE_VALUES} strings, received ${show(range.values)}`);
    }
    if (range.min !== undefined || range.max !== undefined) throw invalid(`${where} has values and min/max: give one or the other`);
    return;
  }
  for (const bound of ['min', 'max'] as const) {
    const value = range[bound];
    if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value))) {
      throw invalid(`${where}.${bound} must be a number, received ${show(value)}`);
    }
  }
  if (range.min === undefined && range.max === undefined) throw invalid(`${where} needs min, max or values`);
}

/** Adds the conditions of `query.paramRanges` and `query.starred` through `add`. */
export function addRangeFilters(add: (sql: string, ...args: SqlValue[]) => void, query: RunListQuery): void {
  if (query.starred !== undefined) {
    if (typeof query.starred !== 'boolean') throw invalid(`starred must be true or false, received ${show(query.starred)}`);
    add('r.starred = ?', query.starred ? 1 : 0);
  }
  if (query.paramRanges === undefined) return;
  if (!Array.isArray(query.paramRanges)) throw invalid(`paramRanges must be an array, received ${show(query.paramRanges)}`);
  query.paramRanges.forEach((range, i) => {
    checkRange(range, `paramRanges[${i}]`);
    if (range.values !== undefined) {
      if (range.values.length === 0) {
        add('0');
        return;
      }
      add(
        `EXISTS (SELECT 1 FROM params p WHERE p.run_pk = r.pk AND p.key = ? AND p.value IN (${range.values.map(() => '?').join(', ')}))`,
        range.key,
        ...range.values,
      );
      return;
    }
    const bounds: string[] = [];
    const args: SqlValue[] = [range.key];
    if (range.min !== undefined) {
      bounds.push('p.num_value >= ?');
      args.push(range.min);
    }
    if (range.max !== undefined) {
      bounds.push('p.num_value <= ?');
      args.push(range.max);
    }
    add(`EXISTS (SELECT 1 FROM params p WHERE p.run_pk = r.pk AND p.key = ? AND ${bounds.join(' AND ')})`, ...args);
  });
}
