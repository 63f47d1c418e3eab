import { describe, expect, it } from 'vitest';
import { decodeBinarySeries, encodeSeriesColumns, joinBinarySeries, type EncodedSeries } from './binary-series.ts';

function encoded(runId: string, key: string, columns: Record<string, number[]>, downsampled = false): EncodedSeries {
  const typed = Object.fromEntries(Object.entries(columns).map(([name, values]) => [name, Float64Array.from(values)]));
  const { columns: refs, bytes } = encodeSeriesColumns(typed);
  return { meta: { runId, key, totalPoints: columns.step!.length, downsampled, length: columns.step!.length, columns: refs }, bytes };
}

describe('binary series encoding', () => {
  it('sends integer columns as sequences or int32 differences, anything else as float64, and reads all back exactly', () => {
    const n = 1000;
    const steps = Array.from({ length: n }, (_, i) => 10 + i * 3); // linear
    const epochs = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? Number.NaN : Math.floor(i / 50))); // NaN: no epoch -> float64
    const timestamps = Array.from({ length: n }, (_, i) => 1_767_225_600_000 + i * 500 + (i % 3)); // irregular -> int32 deltas
    const values = Array.from({ length: n }, (_, i) => (i === 5 ? Number.NaN : i === 6 ? Infinity : i === 7 ? -Infinity : i === 8 ? 1e300 : Math.sin(i) / 3));
    const series = encoded('r1', 'loss', { step: steps, epoch: epochs, timestamp: timestamps, value: values });
    expect(series.meta.columns.step).toEqual({ type: 'linear', start: 10, stride: 3 });
    expect(series.meta.columns.epoch?.type).toBe('f64');
    expect(series.meta.columns.timestamp).toMatchObject({ type: 'i32delta', start: 1_767_225_600_000 });
    expect(series.meta.columns.value?.type).toBe('f64');
    // far apart integers (a delta beyond int32) and fractional steps fall back to float64
    const wide = encoded('r2', 'acc', { step: [0, 2 ** 40, 2 ** 41 + 1], epoch: [1, 1, 2], timestamp: [0.5, 1, 2], value: [0.25, 0.5, 0.75] }, true);
    expect(wide.meta.columns.step?.type).toBe('f64');
    expect(wide.meta.columns.epoch?.type).toBe('i32delta');
    expect(wide.meta.columns.timestamp?.type).toBe('f64');
    const empty = encoded('r3', 'none', { step: [], epoch: [], timestamp: [], value: [] });

    const body = joinBinarySeries(42, [series, wide, empty]);
    // Node hands a body over at any byte offset (a pooled Buffer): the decoder copies when it is not 8-aligned.
    const misaligned = Buffer.concat([Buffer.alloc(3), Buffer.from(body)]).subarray(3);
    for (const input of [body, body.buffer as ArrayBuffer, misaligned]) {
      const decoded = decodeBinarySeries(input);
      expect(decoded.cursor).toBe(42);
      const [a, b, c] = decoded.series;
      expect(a!.step).toEqual(steps);
      expect(a!.epoch).toEqual(epochs.map((e) => (Number.isNaN(e) ? null : e)));
      expect(a!.timestamp).toEqual(timestamps);
      expect(a!.value).toEqual(values.map((v) => (Number.isFinite(v) ? v : null)));
      expect(a!.nonFinite).toEqual({ 5: 'NaN', 6: 'Infinity', 7: '-Infinity' });
      expect(a!.value[8]).toBe(1e300);
      expect(b).toEqual({ runId: 'r2', key: 'acc', totalPoints: 3, downsampled: true, step: [0, 2 ** 40, 2 ** 41 + 1], epoch: [1, 1, 2], timestamp: [0.5, 1, 2], value: [0.25, 0.5, 0.75] });
      expect(c).toEqual({ runId: 'r3', key: 'none', totalPoints: 0, downsampled: false, step: [], epoch: [], timestamp: [], value: [] });
    }
    // 1,000 points: values are 8 bytes each, the regular columns next to nothing.
    expect(series.bytes.byteLength).toBe(n * 8 + n * 8 + n * 4);
  });

  it('carries min and max of downsampled series, with null where a bucket had no finite extreme', () => {
    const s = encoded('r', 'k', { step: [1, 5], epoch: [0, 0], timestamp: [10, 20], value: [1, Number.NaN], min: [0.5, Number.NaN], max: [2, Infinity] }, true);
    const [decoded] = decodeBinarySeries(joinBinarySeries(0, [s])).series;
    expect(decoded).toEqual({
      runId: 'r',
      key: 'k',
      totalPoints: 2,
      downsampled: true,
      step: [1, 5],
      epoch: [0, 0],
      timestamp: [10, 20],
      value: [1, null],
      min: [0.5, null],
      max: [2, null],
      nonFinite: { 1: 'NaN' },
    });
  });
});
