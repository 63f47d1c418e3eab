import { describe, expect, it } from 'vitest';
import { assignColors, assignDashes, DASH_PATTERNS, hashString, LINE_PALETTE, preferredColor } from './palette.ts';

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const linear = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
const luminance = (hex: string) => {
  const [r, g, b] = rgb(hex).map(linear);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
/** WCAG contrast ratio against a white page. */
const contrastOnWhite = (hex: string) => 1.05 / (luminance(hex) + 0.05);

/** CIE L*a*b* (D65) of an sRGB colour. */
function lab(hex: string): [number, number, number] {
  const [r, g, b] = rgb(hex).map(linear);
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** CIEDE2000 colour difference of two L*a*b* colours (Sharma, Wu & Dalal 2005). */
function deltaE2000Lab([l1, a1, b1]: readonly number[], [l2, a2, b2]: readonly number[]): number {
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
const deltaE2000 = (c1: string, c2: string) => deltaE2000Lab(lab(c1), lab(c2));

describe('LINE_PALETTE', () => {
  it('has 24 distinct colours, every pair at least 13 CIEDE2000 apart', () => {
    // the measure itself: pairs 1, 7 and 17 of Sharma et al.'s test data
    expect(deltaE2000Lab([50, 2.6772, -79.7751], [50, 0, -82.7485])).toBeCloseTo(2.0425, 4);
    expect(deltaE2000Lab([50, 0, 0], [50, -1, 2])).toBeCloseTo(2.3669, 4);
    expect(deltaE2000Lab([50, 2.5, 0], [73, 25, -18])).toBeCloseTo(27.1492, 4);
    expect(LINE_PALETTE.length).toBeGreaterThanOrEqual(24);
    expect(new Set(LINE_PALETTE).size).toBe(LINE_PALETTE.length);
    let closest = Infinity;
    for (let i = 0; i < LINE_PALETTE.length; i++) {
      for (let j = i + 1; j < LINE_PALETTE.length; j++) closest = Math.min(closest, deltaE2000(LINE_PALETTE[i], LINE_PALETTE[j]));
    }
    expect(closest).toBeGreaterThanOrEqual(13);
  });

  it('keeps every colour visible on the white page (contrast at least 2.4:1)', () => {
    for (const color of LINE_PALETTE) expect(contrastOnWhite(color), color).toBeGreaterThanOrEqual(2.4);
  });
});

describe('assignColors', () => {
  const ids = Array.from({ length: 24 }, (_, i) => `run-${i}-${(i * 7919).toString(36)}`);

  it('gives up to 24 keys 24 different colours, the first key its hashed colour', () => {
    const colors = assignColors(ids);
    expect(new Set(colors.values()).size).toBe(24);
    expect(colors.get(ids[0])).toBe(preferredColor(ids[0]));
    expect(preferredColor(ids[0])).toBe(LINE_PALETTE[hashString(ids[0]) % LINE_PALETTE.length]);
  });

  it('is the same for the same keys in the same order, and keeps the colours of the keys already there when one is added', () => {
    const first = assignColors(ids.slice(0, 10));
    expect(assignColors(ids.slice(0, 10))).toEqual(first);
    const more = assignColors([...ids.slice(0, 10), 'one-more-run']);
    for (const id of ids.slice(0, 10)) expect(more.get(id)).toBe(first.get(id));
  });

  it('does not depend on the position of a key: a run keeps its hashed colour when it is the only line', () => {
    for (const id of ids) expect(assignColors([id]).get(id)).toBe(preferredColor(id));
  });

  it('takes the next free slot on a collision, and starts a new round past the palette', () => {
    // two keys with the same hashed slot
    const slotOf = (key: string) => hashString(key) % LINE_PALETTE.length;
    const a = 'a';
    const b = Array.from({ length: 500 }, (_, i) => `b${i}`).find((k) => slotOf(k) === slotOf(a))!;
    const colors = assignColors([a, b]);
    expect(colors.get(a)).toBe(LINE_PALETTE[slotOf(a)]);
    expect(colors.get(b)).toBe(LINE_PALETTE[(slotOf(a) + 1) % LINE_PALETTE.length]);
    const many = assignColors([...ids, 'x25']);
    expect(many.get('x25')).toBe(preferredColor('x25'));
  });
});

describe('assignDashes', () => {
  it('gives values in natural order the patterns in order, solid first, the same for any order of the values', () => {
    const dashes = assignDashes(['vgg16', 'vgg9', 'vgg11', 'vgg9']);
    expect([...dashes.keys()]).toEqual(['vgg9', 'vgg11', 'vgg16']);
    expect(dashes.get('vgg9')).toEqual([]);
    expect(dashes.get('vgg11')).toEqual(DASH_PATTERNS[1]);
    expect(dashes.get('vgg16')).toEqual(DASH_PATTERNS[2]);
    expect(assignDashes(['vgg11', 'vgg9', 'vgg16'])).toEqual(dashes);
  });
});
