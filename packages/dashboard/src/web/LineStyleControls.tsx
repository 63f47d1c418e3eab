/**
 * The compare view's line style menus: group by params (several may be ticked), the group band (min–max or ±std),
 * colour by a param, dash by a param. Every menu offers the params that vary across the compared runs, those whose
 * values differ first (params-vary.ts); constants are left out. The choice is kept in localStorage.
 */
import { useEffect, useRef, useState } from 'react';
import { DEFAULT_LINE_STYLE, type LineStyleChoice } from './compare-lines.ts';
import type { BandKind } from './grouping.ts';

const STORAGE_KEY = 'vgglab.lineStyle';

function loadStyle(): LineStyleChoice {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Partial<LineStyleChoice>;
    return {
      groupBy: Array.isArray(stored.groupBy) ? stored.groupBy.filter((k) => typeof k === 'string') : [],
      band: stored.band === 'std' ? 'std' : 'minmax',
      colorBy: typeof stored.colorBy === 'string' ? stored.colorBy : '',
      dashBy: typeof stored.dashBy === 'string' ? stored.dashBy : '',
    };
  } catch {
    return DEFAULT_LINE_STYLE;
  }
}

/** The stored choice and its setter (which stores it). */
export function useLineStyle(): [LineStyleChoice, (change: Partial<LineStyleChoice>) => void] {
  const [style, setStyle] = useState<LineStyleChoice>(loadStyle);
  const update = (change: Partial<LineStyleChoice>) =>
    setStyle((current) => {
      const next = { ...current, ...change };
      try {
        localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
      } catch {
        // storage denied: the choice lasts until the page is left
      }
      return next;
    });
  return [style, update];
}

/** The choice restricted to params the menus offer (a stored param the compared runs do not vary in is ignored). */
export function effectiveStyle(style: LineStyleChoice, offered: readonly string[]): LineStyleChoice {
  const has = (key: string) => offered.includes(key);
  return {
    groupBy: style.groupBy.filter(has),
    band: style.band,
    colorBy: has(style.colorBy) ? style.colorBy : '',
    dashBy: has(style.dashBy) ? style.dashBy : '',
  };
}

interface Props {
  /** The params the menus offer, in order (varying first, no constants). */
  params: readonly string[];
  style: LineStyleChoice;
  onChange: (change: Partial<LineStyleChoice>) => void;
}

export function LineStyleControls({ params, style, onChange }: Props) {
  // The group-by menu stays open while params are ticked, and closes on a click anywhere else.
  const menu = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    const close = (event: PointerEvent) => {
      if (menu.current?.open && !menu.current.contains(event.target as Node)) menu.current.open = false;
    };
    document.addEventListener('pointerdown', close);
    return () => document.removeEventListener('pointerdown', close);
  }, []);
  const toggleGroup = (key: string) =>
    onChange({ groupBy: style.groupBy.includes(key) ? style.groupBy.filter((k) => k !== key) : [...style.groupBy, key] });
  return (
    <div className="line-style" data-testid="line-style">
      <details className="group-by" data-testid="group-by" ref={menu}>
        <summary>group by: {style.groupBy.length ? style.groupBy.join(', ') : <span className="muted">none</span>}</summary>
        <div className="group-by-menu">
          {params.length === 0 ? <span className="muted">the compared runs have the same params</span> : null}
          {params.map((key) => (
            <label key={key}>
              <input type="checkbox" checked={style.groupBy.includes(key)} onChange={() => toggleGroup(key)} aria-label={`group by ${key}`} />
              <span className="mono">{key}</span>
            </label>
          ))}
        </div>
      </details>
      {style.groupBy.length ? (
        <label title="The band around each group's mean: the lowest and highest run, or one standard deviation (n − 1) either side">
          band
          <select value={style.band} onChange={(e) => onChange({ band: e.target.value as BandKind })} data-testid="group-band">
            <option value="minmax">min–max</option>
            <option value="std">± std</option>
          </select>
        </label>
      ) : null}
      <label>
        colour by
        <select value={style.colorBy} onChange={(e) => onChange({ colorBy: e.target.value })} data-testid="color-by">
          <option value="">{style.groupBy.length ? 'group' : 'run'}</option>
          {params.map((key) => (
            <option key={key}>{key}</option>
          ))}
        </select>
      </label>
      <label>
        dash by
        <select value={style.dashBy} onChange={(e) => onChange({ dashBy: e.target.value })} data-testid="dash-by">
          <option value="">none</option>
          {params.map((key) => (
            <option key={key}>{key}</option>
          ))}
        </select>
      </label>
    </div>
  );
}
