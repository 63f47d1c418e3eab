import { describe, expect, it } from 'vitest';
import { assignColors, assignDashes, CLOSE_COLORS, DASH_PATTERNS, deltaE2000, deltaE2000Lab, hashString, LINE_PALETTE, preferredColor } from './palette.ts';

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const linear = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
const luminance = (hex: string) => {
  const [r, g, b] = rgb(hex).map(linear);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
/** WCAG contrast ratio against a white page. */
const contrastOnWhite = (hex: string) => 1.05 / (luminance(hex) + 0.05);


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

  it('takes the next free slot far enough from the colours taken, and starts a new round past the palette', () => {
    // two keys with the same hashed slot
    const slotOf = (key: string) => hashString(key) % LINE_PALETTE.length;
    const a = 'a';
    const b = Array.from({ length: 500 }, (_, i) => `b${i}`).find((k) => slotOf(k) === slotOf(a))!;
    const colors = assignColors([a, b]);
    expect(colors.get(a)).toBe(LINE_PALETTE[slotOf(a)]);
    const after = Array.from({ length: LINE_PALETTE.length - 1 }, (_, d) => LINE_PALETTE[(slotOf(a) + 1 + d) % LINE_PALETTE.length]);
    expect(colors.get(b)).toBe(after.find((c) => deltaE2000(c, colors.get(a)!) >= CLOSE_COLORS));
    const many = assignColors([...ids, 'x25']);
    expect(many.get('x25')).toBe(preferredColor('x25'));
  });

  it('keeps up to 8 lines at least CLOSE_COLORS apart, whatever their ids', () => {
    let seed = 12345;
    const nextId = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0).toString(16) + seed.toString(36));
    let closest = Infinity;
    for (let set = 0; set < 300; set++) {
      const colors = [...assignColors(Array.from({ length: 8 }, nextId)).values()];
      for (let i = 0; i < colors.length; i++) {
        for (let j = i + 1; j < colors.length; j++) closest = Math.min(closest, deltaE2000(colors[i], colors[j]));
      }
    }
    expect(closest).toBeGreaterThanOrEqual(CLOSE_COLORS);
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
