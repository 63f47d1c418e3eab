/**
 * Which params vary across a set of runs: what the page's param menus offer (group by, colour by, dash by, and any
 * other menu over the runs' params), the params that vary first, constants left out. One place for the rule, so
 * every menu and table of the page reads a sweep the same way.
 */

/** One param over a set of runs: its value per run as stored (strings), null where a run does not have it. */
export interface ParamColumn {
  key: string;
  values: readonly (string | null)[];
}

/**
 * How a param varies across the runs:
 * - `varies`: at least two different values among the runs that have it (a sweep axis, seeds);
 * - `presence`: one value, but some runs do not have the param at all (a field only some specs set);
 * - `constant`: the same value in every run (nothing to group, colour or compare by).
 */
export type ParamVariationKind = 'varies' | 'presence' | 'constant';

export interface ParamVariation {
  key: string;
  kind: ParamVariationKind;
  /** Different values among the runs that have the param. */
  distinct: number;
  /** Runs without the param. */
  missing: number;
}

/** Columns from runs' params (a key any run has becomes a column; null where a run lacks it), keys sorted. */
export function paramColumns(runs: readonly Readonly<Record<string, string>>[]): ParamColumn[] {
  const keys = [...new Set(runs.flatMap((params) => Object.keys(params)))].sort();
  return keys.map((key) => ({ key, values: runs.map((params) => params[key] ?? null) }));
}

/** How each column varies, in the columns' order. */
export function paramVariations(columns: readonly ParamColumn[]): ParamVariation[] {
  return columns.map(({ key, values }) => {
    const present = values.filter((v): v is string => v !== null);
    const distinct = new Set(present).size;
    const missing = values.length - present.length;
    const kind: ParamVariationKind = distinct > 1 ? 'varies' : missing > 0 && present.length > 0 ? 'presence' : 'constant';
    return { key, kind, distinct, missing };
  });
}

/**
 * The keys a param menu offers: the params whose values vary first, then those only some runs have, each part in
 * natural order (`layer2` < `layer10`); constants (and params no run has) left out.
 */
export function varyingParamKeys(columns: readonly ParamColumn[]): string[] {
  const variations = paramVariations(columns);
  const byName = (a: ParamVariation, b: ParamVariation) => a.key.localeCompare(b.key, undefined, { numeric: true });
  return [
    ...variations.filter((v) => v.kind === 'varies').sort(byName),
    ...variations.filter((v) => v.kind === 'presence').sort(byName),
  ].map((v) => v.key);
}

/** Anything with its params as stored (flattened keys, string values). */
export interface WithParams {
  params: Readonly<Record<string, string>>;
}

/**
 * The same rule as two sorted lists: `varying` holds the params that vary or that only some runs have, `constant`
 * the params every run has with one value. A param no run has is in neither; with no runs both are empty. The
 * server (`/api/param-space`), the compare table and parallel coordinates read it this way.
 */
export function varyingParams(runs: readonly WithParams[]): { varying: string[]; constant: string[] } {
  const variations = paramVariations(paramColumns(runs.map((run) => run.params)));
  const keysOf = (keep: (v: ParamVariation) => boolean) => variations.filter(keep).map((v) => v.key).sort();
  return { varying: keysOf((v) => v.kind !== 'constant'), constant: keysOf((v) => v.kind === 'constant') };
}

/** A menu of param keys: the varying ones (in their order), then other keys that are not constant; constants left
 * out. `all` is every key a menu could offer (e.g. the store's param keys). */
export function paramMenu(all: readonly string[], vary: { varying: readonly string[]; constant: readonly string[] }): string[] {
  const constant = new Set(vary.constant);
  const varying = new Set(vary.varying);
  return [...vary.varying, ...all.filter((k) => !varying.has(k) && !constant.has(k))];
}
