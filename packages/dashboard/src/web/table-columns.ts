/**
 * The runs table's chosen columns (pure): any param, or any metric summarised as best, last, min or max; what the run
 * list asks the store for, how each column sorts, how its cells read, and how the choice is kept (localStorage).
 * Metric cells carry a bar scaled to the runs shown: the best of them fills it, the worst shows a sliver.
 */
import type { RunSummary } from '@vgglab/store';
import { lowerIsBetter } from './param-scatter.ts';

export type MetricColumnSummary = 'best' | 'last' | 'min' | 'max';

export type TableColumn = { kind: 'param'; key: string } | { kind: 'metric'; key: string; summary: MetricColumnSummary };

/** What the table showed before columns could be chosen. */
export const DEFAULT_COLUMNS: readonly TableColumn[] = [
  { kind: 'param', key: 'model.name' },
  { kind: 'param', key: 'optimizer.name' },
  { kind: 'param', key: 'optimizer.lr' },
  { kind: 'metric', key: 'val/accuracy', summary: 'best' },
];

/** Most columns one can choose (the table stays readable at 1440 px). */
export const MAX_COLUMNS = 12;

export const COLUMNS_STORAGE_KEY = 'vgglab.tableColumns';

export function columnId(column: TableColumn): string {
  return column.kind === 'param' ? `param:${column.key}` : `metric.${column.summary}:${column.key}`;
}

/** The header: a param's key as written; a metric's summary and key (`best val/accuracy`). */
export function columnLabel(column: TableColumn): string {
  return column.kind === 'param' ? column.key : `${column.summary} ${column.key}`;
}

/** The min/max/last a metric column reads (`best` resolved for its key). */
export function metricField(column: Extract<TableColumn, { kind: 'metric' }>): 'value' | 'min' | 'max' {
  if (column.summary === 'last') return 'value';
  if (column.summary === 'best') return lowerIsBetter(column.key) ? 'min' : 'max';
  return column.summary;
}

/** The store's sort key for a column. */
export function columnSort(column: TableColumn): string {
  if (column.kind === 'param') return `param:${column.key}`;
  const field = metricField(column);
  return field === 'value' ? `metric:${column.key}` : `metric.${field}:${column.key}`;
}

/** The params and metrics the run list must attach for these columns (withParams / withMetrics). */
export function columnsQuery(columns: readonly TableColumn[]): { withParams: string[]; withMetrics: string[] } {
  const withParams = [...new Set(columns.filter((c) => c.kind === 'param').map((c) => c.key))];
  const withMetrics = [...new Set(columns.filter((c) => c.kind === 'metric').map((c) => c.key))];
  // An empty list would mean "all" to the server: name one key that no run has instead.
  return { withParams: withParams.length ? withParams : ['-'], withMetrics: withMetrics.length ? withMetrics : ['-'] };
}

/** A cell's value: a param as stored, a metric summary as a finite number, or null. */
export function cellValue(run: Pick<RunSummary, 'params' | 'metrics'>, column: TableColumn): string | number | null {
  if (column.kind === 'param') return run.params[column.key] ?? null;
  const value = run.metrics[column.key]?.[metricField(column)];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * The bar of a metric column's cells, scaled to the values shown: a function from a value to the bar's share in
 * [MIN_BAR, 1], 1 for the best of them (the max, or the min when lower is better). All equal: full bars.
 */
export const MIN_BAR = 0.04;
export function barScale(values: readonly (number | null)[], lower: boolean): (value: number) => number {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0) return () => 1;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (hi === lo) return () => 1;
  return (value) => {
    const share = lower ? (hi - value) / (hi - lo) : (value - lo) / (hi - lo);
    return MIN_BAR + (1 - MIN_BAR) * Math.max(0, Math.min(1, share));
  };
}

function isColumn(value: unknown): value is TableColumn {
  if (value === null || typeof value !== 'object') return false;
  const c = value as Record<string, unknown>;
  if (typeof c.key !== 'string' || c.key === '') return false;
  if (c.kind === 'param') return true;
  return c.kind === 'metric' && ['best', 'last', 'min', 'max'].includes(c.summary as string);
}

/** Columns as kept; anything unreadable gives the defaults. */
export function parseColumns(text: string | null): TableColumn[] {
  if (text === null) return [...DEFAULT_COLUMNS];
  try {
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value) || !value.every(isColumn)) return [...DEFAULT_COLUMNS];
    const seen = new Set<string>();
    return (value as TableColumn[]).filter((c) => !seen.has(columnId(c)) && seen.add(columnId(c))).slice(0, MAX_COLUMNS);
  } catch {
    return [...DEFAULT_COLUMNS];
  }
}

export function loadColumns(storage: Pick<Storage, 'getItem'> = localStorage): TableColumn[] {
  return parseColumns(storage.getItem(COLUMNS_STORAGE_KEY));
}

export function saveColumns(columns: readonly TableColumn[], storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(COLUMNS_STORAGE_KEY, JSON.stringify(columns));
}

/** Adds a column (at the end), or removes it when it is already there. */
export function toggleColumn(columns: readonly TableColumn[], column: TableColumn): TableColumn[] {
  const id = columnId(column);
  if (columns.some((c) => columnId(c) === id)) return columns.filter((c) => columnId(c) !== id);
  return [...columns, column].slice(0, MAX_COLUMNS);
}
