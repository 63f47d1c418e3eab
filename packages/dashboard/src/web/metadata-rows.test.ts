import { describe, expect, it } from 'vitest';
import { metadataRows } from './metadata-rows.ts';

describe('checkpoint metadata as rows', () => {
  it('flattens nested fields into dotted keys with short numbers, lists joined and long text cut', () => {
    const rows = metadataRows({
      monitor: 'val/accuracy',
      value: 0.931234567,
      params: 9_231_114,
      lr: 0.0001,
      inputShape: [64, 64, 3],
      best: true,
      metrics: { 'val/loss': 0.2134, 'train/loss': null },
      classes: ['daisy', 'rose'],
      note: 'x'.repeat(100),
    });
    expect(rows.map((r) => [r.key, r.value])).toEqual([
      ['monitor', 'val/accuracy'],
      ['value', '0.9312'],
      ['params', '9.23M'],
      ['lr', '1e-4'],
      ['inputShape', '64, 64, 3'],
      ['best', 'yes'],
      ['metrics.val/loss', '0.2134'],
      ['metrics.train/loss', '–'],
      ['classes', 'daisy, rose'],
      ['note', `${'x'.repeat(79)}…`],
    ]);
    expect(rows.at(-1)!.title).toBe('x'.repeat(100));
    expect(metadataRows(null)).toEqual([]);
    expect(metadataRows(0.5)).toEqual([{ key: 'value', value: '0.5' }]);
  });
});
