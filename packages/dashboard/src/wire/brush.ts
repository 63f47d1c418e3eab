/**
 * A brush on a parallel-coordinates axis, as the run list's `brush` query parameter carries it (one JSON object per
 * parameter, repeated for several axes; all must hold): a param's numeric range, a param's values, or a range of a
 * metric's latest/min/max. The page writes it, the server turns it into the store's paramRanges and metric filters.
 */

export type Brush =
  | { param: string; min?: number; max?: number; values?: undefined }
  | { param: string; values: string[]; min?: undefined; max?: undefined }
  | { metric: string; of: 'latest' | 'min' | 'max'; min?: number; max?: number };

/** What a brush filters, in the store's terms. */
export interface BrushFilters {
  paramRanges: { key: string; min?: number; max?: number; values?: string[] }[];
  metrics: { key: string; op: '>=' | '<='; value: number; of: 'latest' | 'min' | 'max' }[];
}

export function brushParam(brush: Brush): string {
  return JSON.stringify(brush);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isKey = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 250;

/** Parses one `brush` parameter; throws an Error whose message names what is wrong and repeats the value. */
export function parseBrush(text: string): Brush {
  const fail = (why: string): never => {
    throw new Error(`query parameter 'brush' ${why}, received '${text.length > 120 ? `${text.slice(0, 117)}...` : text}'`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('must be a JSON object like {"param":"optimizer.lr","min":0.001,"max":0.01}');
  }
  if (!isObject(value)) return fail('must be a JSON object');
  const { param, metric, of, min, max, values, ...rest } = value;
  if (Object.keys(rest).length > 0) return fail(`has an unknown field '${Object.keys(rest)[0]}'`);
  for (const [name, bound] of [['min', min], ['max', max]] as const) {
    if (bound !== undefined && !isNumber(bound)) fail(`needs a finite number for ${name}`);
  }
  if (isKey(param) && metric === undefined && of === undefined) {
    if (values !== undefined) {
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'string') || min !== undefined || max !== undefined) {
        return fail('takes values (an array of strings) or min/max, not both');
      }
      return { param, values: values as string[] };
    }
    if (min === undefined && max === undefined) return fail('needs min, max or values');
    return { param, min: min as number | undefined, max: max as number | undefined };
  }
  if (isKey(metric) && param === undefined && values === undefined) {
    if (of !== 'latest' && of !== 'min' && of !== 'max') return fail("needs of: 'latest', 'min' or 'max' for a metric");
    if (min === undefined && max === undefined) return fail('needs min or max');
    return { metric, of, min: min as number | undefined, max: max as number | undefined };
  }
  return fail('names one param or one metric (a key of 1..250 characters)');
}

/** Brushes as store filters (each min/max a `>=` / `<=` comparison). */
export function brushFilters(brushes: readonly Brush[]): BrushFilters {
  const out: BrushFilters = { paramRanges: [], metrics: [] };
  for (const brush of brushes) {
    if ('param' in brush) {
      out.paramRanges.push(brush.values ? { key: brush.param, values: brush.values } : { key: brush.param, min: brush.min, max: brush.max });
      continue;
    }
    if (brush.min !== undefined) out.metrics.push({ key: brush.metric, op: '>=', value: brush.min, of: brush.of });
    if (brush.max !== undefined) out.metrics.push({ key: brush.metric, op: '<=', value: brush.max, of: brush.of });
  }
  return out;
}
