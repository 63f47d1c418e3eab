import { describe, expect, it } from 'vitest';
import { forLogScale, loadLogKeys, saveLogKey } from './log-scale.ts';

describe('forLogScale', () => {
  it('makes values <= 0 gaps in lines and band edges, counting the line points left out', () => {
    const { curves, dropped } = forLogScale([
      { label: 'a', color: '#000000', x: [1, 2, 3], y: [0.5, 0, -1], band: { lo: [0.1, -0.2, null], hi: [1, 0.3, 2] } },
      { label: 'a (raw)', color: '#000000', x: [1, 2], y: [0, 1], faint: true },
    ]);
    expect(curves[0].y).toEqual([0.5, null, null]);
    expect(curves[0].band).toEqual({ lo: [0.1, null, null], hi: [1, 0.3, 2] });
    expect(curves[1].y).toEqual([null, 1]);
    expect(dropped).toBe(2);
  });
});

describe('log keys in storage', () => {
  function memoryStorage() {
    const items = new Map<string, string>();
    return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
  }

  it('remembers the keys put on a log scale and forgets those put back', () => {
    const storage = memoryStorage();
    saveLogKey('train/loss', true, storage);
    saveLogKey('val/loss', true, storage);
    saveLogKey('val/loss', false, storage);
    expect([...loadLogKeys(storage)]).toEqual(['train/loss']);
  });

  it('reads nothing from storage that holds something else', () => {
    const storage = memoryStorage();
    storage.setItem('vgglab.logScale', '{not json');
    expect(loadLogKeys(storage).size).toBe(0);
    storage.setItem('vgglab.logScale', '{"a":1}');
    expect(loadLogKeys(storage).size).toBe(0);
    expect(loadLogKeys(undefined).size).toBe(0);
  });
});
