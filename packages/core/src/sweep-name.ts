/**
 * A sweep point's name as people say it: the values that vary across the sweep, short, in the sweep's key order
 * (`vgg16_bn · sgd 0.02`), rather than every `key=value` (`model.name=vgg16_bn,optimizer=sgd(lr=0.02)`), which no
 * table column shows in full. No imports (a pure module): the runner names sweep runs with it.
 */

/** Between the values of a name. */
export const SWEEP_NAME_SEPARATOR = ' · ';

/** A number as short as it reads: 0.0001 -> 1e-4, 2.5e-05 -> 2.5e-5, 0.02 -> 0.02, 128 -> 128. */
export function shortNumber(value: number): string {
  if (value !== 0 && Number.isFinite(value) && Math.abs(value) < 1e-3) {
    const [mantissa, exponent] = value.toExponential().split('e');
    return `${Number(Number(mantissa).toPrecision(6))}e${Number(exponent)}`;
  }
  return String(value);
}

function scalarText(value: unknown): string {
  if (typeof value === 'number') return shortNumber(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * One swept value, short: a string as it is (`vgg16_bn`); another scalar after its field's last name (`lr 0.02`,
 * `nesterov true`); an object swept whole as its `name` and its other scalar values (`sgd 0.02`), or its scalar
 * fields `k v` when it has no name; an array as compact JSON after its field's name.
 */
export function shortSweepValue(key: string, value: unknown): string {
  const field = key.split('.').pop() ?? key;
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { name, ...rest } = value as Record<string, unknown>;
    const scalars = Object.entries(rest).filter(([, v]) => v === null || typeof v !== 'object');
    if (typeof name === 'string') return [name, ...scalars.map(([, v]) => scalarText(v))].join(' ');
    return scalars.map(([k, v]) => `${k} ${scalarText(v)}`).join(' ') || JSON.stringify(value);
  }
  return `${field} ${scalarText(value)}`;
}

/**
 * The name of a sweep point: the short form of each of its values whose key is in `varying` (keys with more than one
 * value in the sweep), in `varying`'s order, joined by ` · `. '' when nothing varies.
 */
export function sweepPointName(values: Readonly<Record<string, unknown>>, varying: readonly string[]): string {
  return varying
    .filter((key) => key in values)
    .map((key) => shortSweepValue(key, values[key]))
    .join(SWEEP_NAME_SEPARATOR);
}
