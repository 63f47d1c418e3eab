/**
 * Colours and dash patterns of the compare view's lines, stable per run (or group) across charts and reloads: a
 * line's colour comes from a hash of its key (the run id, the group's key, or the value of the colour-by param),
 * not from its position in the selection, so a run keeps its colour when other runs are added or removed.
 */

/**
 * 24 categorical colours for lines on a white page. The first five are Tableau 10's blue, orange, red, green and
 * purple; the others were picked greedily from an HSL grid (chroma >= 35, L* 25..70) to maximise the smallest
 * CIEDE2000 distance to those already chosen, keeping a contrast of at least 2.4:1 against white (a 1.75 px line
 * stays visible). Smallest pairwise CIEDE2000: 13.6 (palette.test.ts checks both).
 */
export const LINE_PALETTE: readonly string[] = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#59a14f',
  '#b07aa1',
  '#705310',
  '#6f089b',
  '#791206',
  '#235c2f',
  '#19b3b3',
  '#b3a319',
  '#a3295a',
  '#a351f6',
  '#064079',
  '#b35719',
  '#6e7906',
  '#0ca6e9',
  '#e90ca6',
  '#2a3ef4',
  '#148f76',
  '#c20a2f',
  '#b18543',
  '#f651f6',
  '#f4662a',
];

const linear = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);

/** CIE L*a*b* (D65) of an sRGB colour `#rrggbb`. */
export function lab(hex: string): [number, number, number] {
  const [r, g, b] = [1, 3, 5].map((i) => linear(parseInt(hex.slice(i, i + 2), 16)));
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** CIEDE2000 colour difference of two L*a*b* colours (Sharma, Wu & Dalal 2005): ~2 is just noticeable. */
export function deltaE2000Lab([l1, a1, b1]: readonly number[], [l2, a2, b2]: readonly number[]): number {
  const rad = Math.PI / 180;
  const cMean = (Math.hypot(a1, b1) + Math.hypot(a2, b2)) / 2;
  const g = 0.5 * (1 - Math.sqrt(cMean ** 7 / (cMean ** 7 + 25 ** 7)));
  const [a1p, a2p] = [a1 * (1 + g), a2 * (1 + g)];
  const [c1p, c2p] = [Math.hypot(a1p, b1), Math.hypot(a2p, b2)];
  const hue = (a: number, b: number) => (a === 0 && b === 0 ? 0 : (Math.atan2(b, a) / rad + 360) % 360);
  const [h1, h2] = [hue(a1p, b1), hue(a2p, b2)];
  let dh = c1p * c2p === 0 ? 0 : h2 - h1;
  if (dh > 180) dh -= 360;
  else if (dh < -180) dh += 360;
  const dL = l2 - l1;
  const dC = c2p - c1p;
  const dH = 2 * Math.sqrt(c1p * c2p) * Math.sin((dh / 2) * rad);
  const lMean = (l1 + l2) / 2;
  const cpMean = (c1p + c2p) / 2;
  let hMean = h1 + h2;
  if (c1p * c2p !== 0) hMean = Math.abs(h1 - h2) > 180 ? (h1 + h2 + (h1 + h2 < 360 ? 360 : -360)) / 2 : (h1 + h2) / 2;
  const t = 1 - 0.17 * Math.cos((hMean - 30) * rad) + 0.24 * Math.cos(2 * hMean * rad) + 0.32 * Math.cos((3 * hMean + 6) * rad) - 0.2 * Math.cos((4 * hMean - 63) * rad);
  const dTheta = 30 * Math.exp(-(((hMean - 275) / 25) ** 2));
  const rc = 2 * Math.sqrt(cpMean ** 7 / (cpMean ** 7 + 25 ** 7));
  const sl = 1 + (0.015 * (lMean - 50) ** 2) / Math.sqrt(20 + (lMean - 50) ** 2);
  const sc = 1 + 0.045 * cpMean;
  const sh = 1 + 0.015 * cpMean * t;
  const rt = -Math.sin(2 * dTheta * rad) * rc;
  return Math.sqrt((dL / sl) ** 2 + (dC / sc) ** 2 + (dH / sh) ** 2 + rt * (dC / sc) * (dH / sh));
}

export const deltaE2000 = (c1: string, c2: string): number => deltaE2000Lab(lab(c1), lab(c2));

/**
 * Two palette colours closer than this (CIEDE2000) are not given to two lines while a farther free colour exists:
 * the palette's 24 colours are all told apart side by side (>= 13.6), but thin lines of a dark green and a teal
 * green, say, are easier to confuse. With this rule up to 8 lines stay at least this far apart (measured over
 * 2,000 random sets of run ids), and past that the hashed rule alone holds (>= 13.6).
 */
export const CLOSE_COLORS = 20;

/** Palette slots closer than CLOSE_COLORS to each slot (computed once). */
let closeSlots: boolean[][] | null = null;
function isClose(a: number, b: number): boolean {
  closeSlots ??= LINE_PALETTE.map((c1) => LINE_PALETTE.map((c2) => deltaE2000(c1, c2) < CLOSE_COLORS));
  return closeSlots[a][b];
}

/** 32-bit FNV-1a of a string: a cheap, well-spread hash that is the same in every browser and in Node. */
export function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The colour a key gets when no other line of the view has taken it first. */
export function preferredColor(key: string): string {
  return LINE_PALETTE[hashString(key) % LINE_PALETTE.length];
}

/**
 * A colour per distinct key, in the given order (the order runs were selected): each key takes its hashed slot of
 * the palette, or, when an earlier key holds it or a colour too close to it (CLOSE_COLORS), the next slot after it
 * that is free and far enough from the colours taken (the next free one when none is). So up to 24 lines never share
 * a colour, the same keys in the same order always get the same colours, a run alone keeps its hashed colour, and a
 * run added to the comparison (last in the order) never changes the colours of the runs already there. Past 24 keys
 * the palette is used again (a new round of the same rule).
 */
export function assignColors(keys: readonly string[]): Map<string, string> {
  const colors = new Map<string, string>();
  const n = LINE_PALETTE.length;
  let used: number[] = [];
  for (const key of keys) {
    if (colors.has(key)) continue;
    if (used.length === n) used = [];
    const start = hashString(key) % n;
    const free = Array.from({ length: n }, (_, d) => (start + d) % n).filter((slot) => !used.includes(slot));
    const slot = free.find((s) => used.every((u) => !isClose(u, s))) ?? free[0];
    used.push(slot);
    colors.set(key, LINE_PALETTE[slot]);
  }
  return colors;
}

/** Dash patterns (uPlot's `dash`, CSS px on, off, …), solid first: told apart at a glance on a 1.75 px line. */
export const DASH_PATTERNS: readonly (readonly number[])[] = [[], [8, 4], [2, 3], [12, 3, 2, 3], [4, 4], [1, 6]];

/**
 * A dash pattern per distinct value of the dash-by param: values in natural order (`lr 1e-4` < `1e-3`, `vgg9` <
 * `vgg11`), the first solid; past six values the patterns repeat. The same set of values always gets the same
 * patterns.
 */
export function assignDashes(values: readonly string[]): Map<string, readonly number[]> {
  const distinct = [...new Set(values)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return new Map(distinct.map((value, i) => [value, DASH_PATTERNS[i % DASH_PATTERNS.length]]));
}
