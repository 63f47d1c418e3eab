/**
 * An artifact's metadata as a table a person reads (pure): nested objects flattened into dotted keys, numbers short
 * (0.9312, 9.23M, 1e-4), lists joined, long text cut. What the run view's checkpoint card shows instead of raw JSON.
 */
import { formatNumber } from './format.ts';

export interface MetadataRow {
  key: string;
  value: string;
  /** The full value when `value` is cut. */
  title?: string;
}

/** Longest value shown in full. */
const MAX_VALUE_LENGTH = 80;
/** Most rows one artifact shows. */
export const MAX_METADATA_ROWS = 40;

/** 9231114 -> 9.23M, 1500 -> 1500: counts of parameters and bytes read as such. */
export function shortNumber(value: number): string {
  const abs = Math.abs(value);
  if (Number.isInteger(value) && abs >= 1e6) {
    const [scaled, unit] = abs >= 1e9 ? [value / 1e9, 'G'] : [value / 1e6, 'M'];
    return `${Number(scaled.toPrecision(3))}${unit}`;
  }
  return formatNumber(value, 4);
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') return shortNumber(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) return value.map(text).join(', ');
  return JSON.stringify(value);
}

export function metadataRows(metadata: unknown): MetadataRow[] {
  const rows: MetadataRow[] = [];
  const walk = (value: unknown, prefix: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, prefix ? `${prefix}.${k}` : k);
      return;
    }
    const full = text(value);
    rows.push(full.length > MAX_VALUE_LENGTH ? { key: prefix || 'value', value: `${full.slice(0, MAX_VALUE_LENGTH - 1)}…`, title: full } : { key: prefix || 'value', value: full });
  };
  if (metadata === null || metadata === undefined) return [];
  walk(metadata, '');
  return rows.slice(0, MAX_METADATA_ROWS);
}
