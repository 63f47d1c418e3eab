import { describe, expect, it } from 'vitest';
import { SeriesCache } from './cache.ts';

describe('SeriesCache', () => {
  it('returns an entry only for the same version stamp', () => {
    const cache = new SeriesCache(1000);
    const key = SeriesCache.key('run', 'train/loss', 1000);
    cache.set(key, '10:100:5', '[1]');
    expect(cache.get(key, '10:100:5')).toBe('[1]');
    expect(cache.get(key, '11:110:6')).toBeUndefined();
    expect(cache.get(key, undefined)).toBeUndefined();
    expect(cache.get(SeriesCache.key('run', 'train/loss', 500), '10:100:5')).toBeUndefined();
  });

  it('keys a step range apart from the whole series and from other ranges', () => {
    const keys = [
      SeriesCache.key('run', 'loss', 300),
      SeriesCache.key('run', 'loss', 300, { stepMin: 10, stepMax: 20 }),
      SeriesCache.key('run', 'loss', 300, { stepMin: 10 }),
      SeriesCache.key('run', 'loss', 300, { stepMax: 10 }),
      SeriesCache.key('run', 'loss', 300, { stepMin: 1, stepMax: 20 }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(SeriesCache.key('run', 'loss', 300, {})).toBe(keys[0]);
  });

  it('evicts the least recently used entries beyond its byte budget', () => {
    const cache = new SeriesCache(10);
    cache.set('a', 'v', 'aaaa');
    cache.set('b', 'v', 'bbbb');
    expect(cache.get('a', 'v')).toBe('aaaa');
    cache.set('c', 'v', 'cccc');
    expect(cache.get('b', 'v')).toBeUndefined();
    expect(cache.get('a', 'v')).toBe('aaaa');
    expect(cache.get('c', 'v')).toBe('cccc');
    expect(cache.sizeBytes).toBe(8);
    cache.set('huge', 'v', 'x'.repeat(11));
    expect(cache.get('huge', 'v')).toBeUndefined();
  });
});
