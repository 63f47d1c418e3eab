/**
 * Param keys the store, the CLI and the dashboard read by name. A run's params are its resolved spec flattened
 * (runs/flatten.ts), so these are spec fields; they live here because the run list filters and facets on them.
 * No imports: the dashboard's browser code takes them through `@vgglab/store/param-keys` without loading SQLite.
 */
export const PARAM_KEYS = {
  /** The run list's `model` filter and facet. */
  modelName: 'model.name',
  /** The run list's `optimizer` filter and facet. */
  optimizerName: 'optimizer.name',
  /** The base learning rate, shown beside model and optimizer. */
  learningRate: 'optimizer.lr',
} as const;

/** The params a run table shows, in its column order. */
export const TABLE_PARAM_KEYS: readonly string[] = [PARAM_KEYS.modelName, PARAM_KEYS.optimizerName, PARAM_KEYS.learningRate];

/** The run list's sort key for a param (RunListQuery.sortBy), e.g. `param:optimizer.lr`. */
export function paramSortKey(key: string): string {
  return `param:${key}`;
}
