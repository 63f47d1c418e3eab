import { describe, expect, it } from 'vitest';
import type { SeriesJson } from './api.ts';
import { colorsByRun, compareLineList, compareLines, DEFAULT_LINE_STYLE, paramLookup, type CompareLinesInput, type LineStyleChoice } from './compare-lines.ts';
import { assignColors, DASH_PATTERNS, preferredColor } from './palette.ts';
import type { RunSeries } from './series.ts';

/** A run's train/loss at the given steps. */
function series(runId: string, steps: number[], values: number[]): SeriesJson {
  return { runId, key: 'train/loss', totalPoints: steps.length, downsampled: false, step: steps, epoch: steps.map(() => 1), timestamp: steps, value: values };
}

// 3 seeds x 2 optimizers; seed 2 logs every 15 steps instead of every 10
const runs = ['a0', 'a1', 'a2', 's0', 's1', 's2'].map((id) => ({ id, name: `run-${id}`, startTime: 0 }));
const params: Record<string, Record<string, string>> = Object.fromEntries(
  runs.map(({ id }) => [id, { 'optimizer.name': id.startsWith('a') ? 'adam' : 'sgd', seed: id[1], 'model.name': 'vgg11' }]),
);
const data = new Map<string, RunSeries>(
  runs.map(({ id }) => {
    const offset = (id.startsWith('a') ? 0 : 1) + Number(id[1]) * 0.1;
    const steps = id[1] === '2' ? [15, 30] : [10, 20, 30];
    return [id, new Map([['train/loss', series(id, steps, steps.map((s) => offset + s / 100))]])];
  }),
);
const diff = {
  runs: runs.map(({ id, name }) => ({ id, name })),
  params: ['optimizer.name', 'seed'].map((key) => ({ key, values: runs.map(({ id }) => params[id][key]) })),
};

function input(style: Partial<LineStyleChoice> = {}, smoothing = 0): CompareLinesInput {
  return {
    runs,
    keys: ['train/loss'],
    data,
    seriesOf: (runId, key) => data.get(runId)?.get(key),
    xMode: 'step',
    smoothing,
    paramOf: paramLookup(diff),
    style: { ...DEFAULT_LINE_STYLE, ...style },
  };
}

describe('paramLookup', () => {
  it("reads a run's param from /api/params' answer, null where it is not there", () => {
    const paramOf = paramLookup(diff);
    expect(paramOf('s1', 'optimizer.name')).toBe('sgd');
    expect(paramOf('s1', 'model.name')).toBeNull();
    expect(paramLookup(null)('s1', 'seed')).toBeNull();
  });
});

describe('compareLineList', () => {
  it('draws a line per run, coloured by a hash of its id (the same colour wherever the run is)', () => {
    const lines = compareLineList(input());
    expect(lines.map((l) => l.id)).toEqual(runs.map((r) => r.id));
    expect(lines.map((l) => l.color)).toEqual(runs.map((r) => assignColors(runs.map((x) => x.id)).get(r.id)));
    expect(lines[0].color).toBe(preferredColor('a0'));
    expect(lines.every((l) => l.dash.length === 0 && !l.grouped)).toBe(true);
  });

  it('colours by one param and dashes by another: runs sharing a value share the colour, or the dash', () => {
    const lines = compareLineList(input({ colorBy: 'optimizer.name', dashBy: 'seed' }));
    const colorOf = (id: string) => lines.find((l) => l.id === id)!.color;
    const dashOf = (id: string) => lines.find((l) => l.id === id)!.dash;
    expect(colorOf('a0')).toBe(colorOf('a2'));
    expect(colorOf('s1')).toBe(colorOf('s0'));
    expect(colorOf('a0')).not.toBe(colorOf('s0'));
    expect(dashOf('a0')).toEqual(DASH_PATTERNS[0]);
    expect(dashOf('s0')).toEqual(DASH_PATTERNS[0]);
    expect(dashOf('a1')).toEqual(DASH_PATTERNS[1]);
    expect(dashOf('s2')).toEqual(DASH_PATTERNS[2]);
  });

  it('draws a line per group; a colour or dash param that differs inside a group leaves the group its own colour, solid', () => {
    const lines = compareLineList(input({ groupBy: ['optimizer.name'], dashBy: 'seed', colorBy: 'seed' }));
    expect(lines.map((l) => [l.label, l.runIds])).toEqual([
      ['adam', ['a0', 'a1', 'a2']],
      ['sgd', ['s0', 's1', 's2']],
    ]);
    expect(lines[0].color).toBe(preferredColor('group:["adam"]'));
    expect(lines.every((l) => l.dash.length === 0 && l.grouped)).toBe(true);
    expect(colorsByRun(lines).get('s2')).toBe(lines[1].color);
  });
});

describe('compareLines', () => {
  it('without grouping, draws each run as it is', () => {
    const { charts } = compareLines(input());
    expect(charts[0].series.map((s) => s.label)).toEqual(runs.map((r) => r.name));
    expect(charts[0].series[0]).toMatchObject({ id: 'a0', x: [10, 20, 30], y: data.get('a0')!.get('train/loss')!.value });
  });

  it('grouping 3 seeds x 2 configs draws 2 mean lines with bands, on the union of the steps the seeds logged', () => {
    const { charts } = compareLines(input({ groupBy: ['optimizer.name'] }));
    const [adam, sgd] = charts[0].series;
    expect(charts[0].series).toHaveLength(2);
    expect(adam.label).toBe('adam (3 runs)');
    expect(adam.x).toEqual([10, 15, 20, 30]);
    // step 20: seeds 0 and 1 logged it (0.2, 0.3); seed 2 is interpolated between 15 and 30 (0.35 and 0.5)
    expect(adam.y[2]).toBeCloseTo((0.2 + 0.3 + 0.4) / 3, 12);
    expect(adam.band!.lo[2]).toBeCloseTo(0.2, 12);
    expect(adam.band!.hi[2]).toBeCloseTo(0.4, 12);
    // step 10: seed 2 starts at 15, so two runs make the mean
    expect(adam.y[0]).toBeCloseTo((0.1 + 0.2) / 2, 12);
    expect(sgd.y[3]).toBeCloseTo(1 + (0.3 + 0.4 + 0.5) / 3, 12);
  });

  it('with a ±std band, spans one sample standard deviation around the mean', () => {
    const { charts } = compareLines(input({ groupBy: ['optimizer.name'], band: 'std' }));
    const adam = charts[0].series[0];
    // step 30: 0.3, 0.4, 0.5 -> mean 0.4, sample std 0.1
    expect(adam.band!.hi[3]! - adam.y[3]!).toBeCloseTo(0.1, 12);
    expect(adam.y[3]! - adam.band!.lo[3]!).toBeCloseTo(0.1, 12);
  });

  it('grouped with smoothing, adds the faint mean of the raw runs, hidden and shown with the smoothed mean', () => {
    const { charts } = compareLines(input({ groupBy: ['optimizer.name'] }, 0.5));
    expect(charts[0].series.map((s) => [s.label, s.faint ?? false, s.follows])).toEqual([
      ['adam (3 runs) (raw)', true, 1],
      ['adam (3 runs)', false, undefined],
      ['sgd (3 runs) (raw)', true, 3],
      ['sgd (3 runs)', false, undefined],
    ]);
  });

  it('leaves out a line without points for a key', () => {
    const { charts } = compareLines({ ...input(), keys: ['val/accuracy'] });
    expect(charts[0].series).toEqual([]);
  });
});
