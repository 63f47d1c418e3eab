/** Display helpers shared by the page's views. */

/** Ten distinguishable colours (Tableau 10), for the params scatter's colour groups (lines use palette.ts). */
export const RUN_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return '–';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) {
    // 9.00e-4 -> 9e-4: short enough for an axis.
    const [mantissa, exponent] = value.toExponential(Math.max(0, Math.min(digits, 4) - 2)).split('e');
    return `${Number(mantissa)}e${exponent}`;
  }
  return String(Number(value.toPrecision(digits)));
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${(value * 100).toFixed(1)}%`;
}

/** A learning rate as people write it: 0.0001 → 1e-4. */
export function formatLr(text: string | undefined): string {
  if (text === undefined) return '–';
  const value = Number(text);
  if (!Number.isFinite(value) || value === 0) return text;
  if (Math.abs(value) < 0.01) {
    const [mantissa, exponent] = value.toExponential().split('e');
    return `${Number(Number(mantissa).toPrecision(3))}e${exponent}`;
  }
  return String(value);
}

export function formatDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const date = new Date(ms);
  const now = new Date();
  const sameDay = date.toDateString() === now.toDateString();
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (sameDay) return `today ${time}`;
  return `${date.toLocaleDateString([], { month: 'short', day: 'numeric', year: date.getFullYear() === now.getFullYear() ? undefined : 'numeric' })} ${time}`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}
