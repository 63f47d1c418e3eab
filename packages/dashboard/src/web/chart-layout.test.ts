import { describe, expect, it } from 'vitest';
import { BAND_ALPHA_HEX, chartLayout, type ChartSeries } from './chart-layout.ts';

const line = (label: string, x: number[], y: (number | null)[], extra: Partial<ChartSeries> = {}): ChartSeries => ({
  label,
  color: '#4e79a7',
  x,
  y,
  ...extra,
});

describe('chartLayout', () => {
  it('draws plain curves as lines only (no band for series that were not downsampled)', () => {
    const layout = chartLayout([line('a', [1, 2], [0.5, 0.4]), line('b', [1, 2], [0.6, 0.3], { color: '#f28e2b' })]);
    expect(layout.columns).toEqual([
      { kind: 'line', owner: 0 },
      { kind: 'line', owner: 1 },
    ]);
    expect(layout.bands).toEqual([]);
    expect(layout.followers.size).toBe(0);
    expect(layout.data).toEqual([
      [1, 2],
      [0.5, 0.4],
      [0.6, 0.3],
    ]);
  });

  it('puts every band before every line, upper edge first, filled in its curve colour', () => {
    const a = line('a', [10, 20, 30], [0.5, 0.4, 0.3], { band: { lo: [0.4, 0.3, 0.2], hi: [0.9, 0.6, 0.35] } });
    const b = line('b', [10, 20, 30], [0.7, 0.6, 0.5], { color: '#f28e2b' });
    const c = line('c', [10, 20, 30], [0.2, 0.1, 0.1], { color: '#e15759', band: { lo: [0.1, 0.0, 0.05], hi: [0.3, 0.2, 0.1] } });
    const layout = chartLayout([a, b, c]);
    expect(layout.columns).toEqual([
      { kind: 'band-hi', owner: 0 },
      { kind: 'band-lo', owner: 0 },
      { kind: 'band-hi', owner: 2 },
      { kind: 'band-lo', owner: 2 },
      { kind: 'line', owner: 0 },
      { kind: 'line', owner: 1 },
      { kind: 'line', owner: 2 },
    ]);
    // uPlot series index = column index + 1 (series 0 is x).
    expect(layout.bands).toEqual([
      { series: [1, 2], fill: `#4e79a7${BAND_ALPHA_HEX}` },
      { series: [3, 4], fill: `#e15759${BAND_ALPHA_HEX}` },
    ]);
    expect([...layout.followers]).toEqual([
      [5, [1, 2]],
      [7, [3, 4]],
    ]);
    expect([...layout.edgesOf]).toEqual([
      [5, [1, 2]],
      [7, [3, 4]],
    ]);
    expect(layout.data[1]).toEqual([0.9, 0.6, 0.35]);
    expect(layout.data[2]).toEqual([0.4, 0.3, 0.2]);
    expect(layout.data[5]).toEqual([0.5, 0.4, 0.3]);
    expect(layout.data[7]).toEqual([0.2, 0.1, 0.1]);
  });

  it('aligns curves of different x: undefined where a curve has no point, null kept where its band has a gap', () => {
    const a = line('a', [1, 3], [5, 6], { band: { lo: [4, null], hi: [7, null] } });
    const b = line('b', [2, 3], [1, 2]);
    const layout = chartLayout([a, b]);
    expect(layout.data[0]).toEqual([1, 2, 3]);
    expect(layout.data[1]).toEqual([7, undefined, null]); // band-hi of a
    expect(layout.data[2]).toEqual([4, undefined, null]); // band-lo of a
    expect(layout.data[3]).toEqual([5, undefined, 6]); // line a
    expect(layout.data[4]).toEqual([undefined, 1, 2]); // line b
  });

  it('hides and shows a raw curve with the smoothed curve it follows, along with the band', () => {
    const x = [1, 2, 3];
    const band = { lo: [0, 0, 0], hi: [2, 2, 2] };
    // As the compare view lists them with smoothing on: raw (faint, follows the next), smoothed (with band).
    const layout = chartLayout([
      line('a (raw)', x, [1, 2, 1], { faint: true, follows: 1 }),
      line('a', x, [1, 1.5, 1.2], { band }),
      line('b (raw)', x, [3, 2, 3], { faint: true, follows: 3 }),
      line('b', x, [3, 2.5, 2.8]),
    ]);
    // Series: 1-2 band of a, 3 raw a, 4 a, 5 raw b, 6 b.
    expect(layout.columns.map((c) => `${c.kind}:${c.owner}`)).toEqual(['band-hi:1', 'band-lo:1', 'line:0', 'line:1', 'line:2', 'line:3']);
    expect([...layout.followers].sort(([a], [b]) => a - b)).toEqual([
      [4, [1, 2, 3]],
      [6, [5]],
    ]);
    expect([...layout.edgesOf]).toEqual([[4, [1, 2]]]);
    expect(() => chartLayout([line('a', x, [1, 2, 3], { follows: 0 })])).toThrow(/'a' follows curve 0, which is not another curve/);
    expect(() => chartLayout([line('a', x, [1, 2, 3], { follows: 5 })])).toThrow(/follows curve 5/);
  });

  it('refuses a band that does not match its curve', () => {
    expect(() => chartLayout([line('a', [1, 2], [1, 2], { band: { lo: [1], hi: [2] } })])).toThrow(/band of 'a' has 1\/1 bounds for 2 points/);
  });

  it('is an empty chart for no curves', () => {
    expect(chartLayout([])).toEqual({ data: [[]], columns: [], bands: [], followers: new Map(), edgesOf: new Map() });
  });
});
