import { describe, expect, it } from 'vitest';
import { SeededRandom } from './random.ts';

describe('SeededRandom (sfc32)', () => {
  it('draws the stream checkpoints saved before it moved to core (seed 0)', () => {
    const rng = new SeededRandom(0);
    expect([rng.nextUint32(), rng.nextUint32()]).toEqual([2454270595, 3904855535]);
    expect(rng.next()).toBe(0.3768168183742091);
  });

  it('continues exactly from a saved state, and refuses a state that is not four words', () => {
    const a = new SeededRandom(7);
    for (let i = 0; i < 5; i++) a.next();
    const b = new SeededRandom(a.getState());
    expect(Array.from({ length: 10 }, () => b.next())).toEqual(Array.from({ length: 10 }, () => a.next()));
    const c = new SeededRandom(1);
    c.setState(a.getState());
    expect(c.nextUint32()).toBe(a.nextUint32());
    expect(() => new SeededRandom([1, 2, 3])).toThrow('random state must have 4 words, received 3');
    expect(() => c.setState([1])).toThrow('random state must have 4 words, received 1');
  });

  it('never returns exactly 0 from next() (tfjs reads a 0 seed as "no seed")', () => {
    const rng = new SeededRandom([0, 0, 0, 0]);
    expect(rng.next()).toBeGreaterThan(0);
  });
});
