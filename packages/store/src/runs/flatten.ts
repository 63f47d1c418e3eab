import { canonicalJson } from '@vgglab/core/canonical-json';
import type { KeyValue } from '../types.ts';

/**
 * Flattens a resolved spec into params: nested objects become dotted keys (`optimizer.lr`), leaves become
 * strings (`1e-4` stays as JavaScript prints it: `0.0001`). Arrays are kept whole as JSON (`[224,224,3]`)
 * because their items are meaningful only together (input shape, transform list). Keys are sorted.
 */
export function flattenParams(value: unknown, prefix = ''): KeyValue[] {
  const out: KeyValue[] = [];
  collect(value, prefix, out);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function collect(value: unknown, prefix: string, out: KeyValue[]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0 && prefix) out.push({ key: prefix, value: '{}' });
    for (const [k, v] of entries) collect(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  if (!prefix) return;
  out.push({ key: prefix, value: paramString(value) });
}

/** How a single param value is written as text. */
export function paramString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return 'null';
  return canonicalJson(value);
}
