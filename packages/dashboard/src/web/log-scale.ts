/**
 * A log-scale y axis per chart: values <= 0 have no place on it, so they are drawn as gaps (and counted, so the chart
 * can say so), and the choice is kept per metric key in localStorage (a loss chart stays on log across reloads and in
 * both views).
 */
import type { ChartSeries } from './chart-layout.ts';

const positiveOrNull = (v: number | null): number | null => (v !== null && v > 0 ? v : null);

/** The curves with every value <= 0 (line points and band edges) made a gap; `dropped` counts the line points. */
export function forLogScale(curves: readonly ChartSeries[]): { curves: ChartSeries[]; dropped: number } {
  let dropped = 0;
  const out = curves.map((c): ChartSeries => {
    const y = c.y.map((v) => {
      const kept = positiveOrNull(v);
      if (v !== null && kept === null && !c.faint) dropped++;
      return kept;
    });
    return { ...c, y, ...(c.band ? { band: { lo: c.band.lo.map(positiveOrNull), hi: c.band.hi.map(positiveOrNull) } } : {}) };
  });
  return { curves: out, dropped };
}

const STORAGE_KEY = 'vgglab.logScale';

/** Metric keys whose charts are on a log scale (kept in localStorage; empty where it cannot be read). */
export function loadLogKeys(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): Set<string> {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '[]');
    return new Set(Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === 'string') : []);
  } catch {
    return new Set();
  }
}

/** Puts a chart on a log scale or back on a linear one, remembered for its metric key. */
export function saveLogKey(key: string, log: boolean, storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = globalThis.localStorage): void {
  const keys = loadLogKeys(storage);
  if (log) keys.add(key);
  else keys.delete(key);
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify([...keys].sort()));
  } catch {
    // storage full or denied: the choice lasts until the page is left
  }
}
