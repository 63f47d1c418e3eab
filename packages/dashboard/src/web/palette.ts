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
 * the palette, or, when an earlier key holds it, the next free slot after it. So up to 24 lines never share a
 * colour, the same keys in the same order always get the same colours, and a run added to the comparison (last in
 * the order) never changes the colours of the runs already there. Past 24 keys the palette is used again (a new
 * round of the same rule).
 */
export function assignColors(keys: readonly string[]): Map<string, string> {
  const colors = new Map<string, string>();
  let used = new Set<number>();
  for (const key of keys) {
    if (colors.has(key)) continue;
    if (used.size === LINE_PALETTE.length) used = new Set();
    let slot = hashString(key) % LINE_PALETTE.length;
    while (used.has(slot)) slot = (slot + 1) % LINE_PALETTE.length;
    used.add(slot);
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
