/**
 * The chart's tooltip, a uPlot plugin: under the pointer, every shown line's value at its own nearest point (the
 * chart's `cursor.dataIdx` is nearestOwnPoint), sorted by value, each with its own x when it is not the cursor's;
 * a downsampled point or a group gives its band too, `value (lo–hi)`. The line nearest the pointer (in y, within
 * NEAR_PX) is reported, for the view to highlight it in every chart. Only the chart under the pointer shows its
 * tooltip (the others follow the shared cursor without one).
 */
import type uPlot from 'uplot';
import { sortRowsByValue, type CursorRow } from './cursor-values.ts';
import { formatNumber } from './format.ts';

/** A line the tooltip lists: its uPlot series index and, when it has a band, the band edges' indices. */
export interface TooltipLine {
  column: number;
  id: string;
  label: string;
  color: string;
  edges?: [hi: number, lo: number];
}

export interface TooltipOptions {
  lines: readonly TooltipLine[];
  /** The x axis name ("step", "epoch", …) and how an x value is written. */
  xLabel: string;
  formatX: (x: number) => string;
  /** The line nearest the pointer, null when none is near or the pointer left the chart. */
  onNearest: (id: string | null) => void;
}

/** A line within this many CSS px (in y) of the pointer is the one it is on. */
export const NEAR_PX = 16;
/** Most rows a tooltip lists (the rest are counted). */
const MAX_ROWS = 20;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function rowText(row: CursorRow): string {
  const value = formatNumber(row.value, 4);
  const { lo, hi } = row;
  return typeof lo === 'number' && typeof hi === 'number' && lo !== hi ? `${value} (${formatNumber(lo, 3)}–${formatNumber(hi, 3)})` : value;
}

/** The rows under the cursor: each shown line at its own nearest point. */
function cursorRows(u: uPlot, lines: readonly TooltipLine[]): CursorRow[] {
  const rows: CursorRow[] = [];
  const idxs = u.cursor.idxs ?? [];
  for (const line of lines) {
    const i = idxs[line.column];
    if (!u.series[line.column].show || i === null || i === undefined) continue;
    const value = u.data[line.column][i];
    const row: CursorRow = { id: line.id, label: line.label, color: line.color, value: value ?? null, x: u.data[0][i] };
    if (line.edges) {
      row.hi = u.data[line.edges[0]][i] ?? null;
      row.lo = u.data[line.edges[1]][i] ?? null;
    }
    rows.push(row);
  }
  return sortRowsByValue(rows);
}

export function tooltipPlugin(options: TooltipOptions): uPlot.Plugin {
  let tip: HTMLDivElement | null = null;
  let hovering = false;
  let nearest: string | null = null;
  const report = (id: string | null) => {
    if (id === nearest) return;
    nearest = id;
    options.onNearest(id);
  };
  const hide = () => {
    if (tip) tip.style.display = 'none';
  };
  return {
    hooks: {
      init: [
        (u) => {
          tip = document.createElement('div');
          tip.className = 'chart-tip';
          tip.dataset.testid = 'chart-tip';
          tip.style.display = 'none';
          u.over.appendChild(tip);
          u.over.addEventListener('mouseenter', () => {
            hovering = true;
          });
          u.over.addEventListener('mouseleave', () => {
            hovering = false;
            hide();
            report(null);
          });
        },
      ],
      setCursor: [
        (u) => {
          const { left, top, idx } = u.cursor;
          if (!tip || !hovering || left === undefined || top === undefined || left < 0 || idx === null || idx === undefined) {
            hide();
            return;
          }
          const rows = cursorRows(u, options.lines);
          const cursorX = u.data[0][idx];
          let best: { id: string; distance: number } | null = null;
          for (const row of rows) {
            if (row.value === null) continue;
            const distance = Math.abs(u.valToPos(row.value, 'y') - top);
            if (distance <= NEAR_PX && (!best || distance < best.distance)) best = { id: row.id, distance };
          }
          report(best?.id ?? null);
          tip.innerHTML =
            `<div class="chart-tip-x">${escapeHtml(options.xLabel)} ${escapeHtml(options.formatX(cursorX))}</div>` +
            rows
              .slice(0, MAX_ROWS)
              .map(
                (row) =>
                  `<div class="chart-tip-row${row.id === best?.id ? ' near' : ''}" data-line="${escapeHtml(row.id)}" data-x="${row.x}" data-value="${row.value ?? ''}">` +
                  `<span class="swatch" style="background:${row.color}"></span><span class="chart-tip-label">${escapeHtml(row.label)}</span>` +
                  `<span class="num">${rowText(row)}</span>` +
                  `<span class="muted">${row.x === cursorX ? '' : `@ ${escapeHtml(options.formatX(row.x))}`}</span></div>`,
              )
              .join('') +
            (rows.length > MAX_ROWS ? `<div class="muted">+ ${rows.length - MAX_ROWS} more</div>` : '');
          tip.style.display = rows.length ? 'block' : 'none';
          // Beside the pointer, on the side with more room, kept inside the plot (never wider than the page).
          const width = u.over.clientWidth;
          const height = u.over.clientHeight;
          const right = left < width / 2;
          tip.style.left = right ? `${Math.min(left + 12, Math.max(0, width - tip.offsetWidth))}px` : `${Math.max(0, left - 12 - tip.offsetWidth)}px`;
          tip.style.top = `${Math.max(0, Math.min(top + 12, height - tip.offsetHeight))}px`;
        },
      ],
    },
  };
}
