/** How many buckets the compare view asks `/api/metrics` for: tied to the charts' width in CSS pixels. */

/**
 * One bucket per 2 CSS px: each bucket is a line vertex plus a min/max band column, so a spike anywhere in a long
 * run still shows at the chart's resolution, while the request carries a third of the 1,000 points the page used
 * to ask for (a 600 px chart: 300 buckets).
 */
export const PX_PER_BUCKET = 2;
/** Below this a narrow window would blur short runs that need no downsampling at all. */
export const MIN_BUCKETS = 100;
/** A 4,000 px wide chart; the server allows more, the screen cannot show it. */
export const MAX_BUCKETS = 2000;
/**
 * Bucket counts are rounded to a multiple of this, so resizing the window by a few pixels neither refetches
 * nor misses the server's series cache (keyed by the bucket count).
 */
export const BUCKET_STEP = 50;

/** Buckets for a chart `cssWidth` CSS pixels wide (MIN_BUCKETS when the width is unknown). */
export function bucketsForWidth(cssWidth: number): number {
  if (!Number.isFinite(cssWidth) || cssWidth <= 0) return MIN_BUCKETS;
  const buckets = Math.round(cssWidth / PX_PER_BUCKET / BUCKET_STEP) * BUCKET_STEP;
  return Math.min(MAX_BUCKETS, Math.max(MIN_BUCKETS, buckets));
}

/**
 * Width in px of the first column of a CSS grid, from its computed `grid-template-columns` ("688px 688px"):
 * the width every chart of the grid gets, known before any chart is drawn. null when it is not a px length.
 */
export function firstColumnWidth(templateColumns: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)px\b/.exec(templateColumns);
  return match ? Number(match[1]) : null;
}
