/**
 * Which params tell runs apart: a param varies when its value (as stored, a missing one counting as its own value)
 * is not the same in every run; it is constant when every run has it with one value. Param menus list the varying
 * ones first and leave out the constants; the compare table and parallel coordinates show only the varying ones.
 * Pure: the server (`/api/param-space`) and the page both use it.
 */

/** Anything with its params as stored (flattened keys, string values). */
export interface WithParams {
  params: Readonly<Record<string, string>>;
}

/** Keys sorted. A param missing from every run is in neither list; with no runs both lists are empty. */
export function varyingParams(runs: readonly WithParams[]): { varying: string[]; constant: string[] } {
  const first = new Map<string, string | undefined>();
  const differs = new Set<string>();
  const keys = new Set<string>();
  for (const run of runs) for (const key of Object.keys(run.params)) keys.add(key);
  for (const key of keys) {
    runs.forEach((run, i) => {
      const value = run.params[key];
      if (i === 0) first.set(key, value);
      else if (value !== first.get(key)) differs.add(key);
    });
  }
  const sorted = [...keys].sort();
  return { varying: sorted.filter((k) => differs.has(k)), constant: sorted.filter((k) => !differs.has(k)) };
}

/** A menu of param keys: the varying ones (in their order), then other keys that are not constant; constants left
 * out. `all` is every key a menu could offer (e.g. the store's param keys). */
export function paramMenu(all: readonly string[], vary: { varying: readonly string[]; constant: readonly string[] }): string[] {
  const constant = new Set(vary.constant);
  const varying = new Set(vary.varying);
  return [...vary.varying, ...all.filter((k) => !varying.has(k) && !constant.has(k))];
}
