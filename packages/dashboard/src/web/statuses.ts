/**
 * Run statuses as the page shows them. The store's list may grow (a newer store adds `crashed`, say): the page
 * styles the statuses it knows and shows any other as it is, in a neutral style, rather than breaking.
 */
import type { FacetValue } from '../wire/api-json.ts';

/** Statuses styled in styles.css, in the order the filter lists them. */
export const KNOWN_STATUSES = ['running', 'finished', 'failed', 'crashed', 'killed'] as const;

/** Filter chips shown even when no run has that status. */
const ALWAYS_SHOWN: readonly string[] = ['running', 'finished', 'failed', 'killed'];

/** The CSS class of a status: `status-<status>` for a known one, else `status-other`. */
export function statusClass(status: string): string {
  return (KNOWN_STATUSES as readonly string[]).includes(status) ? `status-${status}` : 'status-other';
}

/** The status filter's chips: the usual four, then any other status the store's runs have (known ones in
 * KNOWN_STATUSES order, then unknown ones by name). */
export function statusChoices(statusFacets: readonly FacetValue[] | undefined): string[] {
  const present = new Set((statusFacets ?? []).filter((s) => s.count > 0).map((s) => s.value));
  const rank = (status: string) => {
    const known = (KNOWN_STATUSES as readonly string[]).indexOf(status);
    return known >= 0 ? known : KNOWN_STATUSES.length;
  };
  return [...new Set([...ALWAYS_SHOWN, ...present])].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
