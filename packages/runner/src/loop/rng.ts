/**
 * A seeded random stream whose state can be saved and restored, so a resumed run draws exactly what the
 * uninterrupted run would have drawn.
 *
 * Why Math.random: tfjs seeds an unseeded random op (weight initialisers, dropout) from `Math.random()`
 * (tfjs-core `rand_util.ts`). Installing this stream as `Math.random` for the duration of a run therefore
 * makes weight initialisation and dropout masks reproducible from the spec's seed without every plugin
 * having to thread a seed through, and the stream's state goes into each checkpoint.
 */

/** sfc32 (Chris Doty-Humphrey's Small Fast Counter): 128 bits of state, passes PractRand, trivially saved. */
export class SeededRandom {
  private s: Uint32Array;

  constructor(seed: number | readonly number[]) {
    if (typeof seed === 'number') {
      this.s = new Uint32Array([0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0]);
      // Mix the seed in; the first outputs of sfc32 from a sparse state are poor.
      for (let i = 0; i < 16; i++) this.nextUint32();
    } else {
      if (seed.length !== 4) throw new Error(`random state must have 4 words, received ${seed.length}`);
      this.s = Uint32Array.from(seed);
    }
  }

  nextUint32(): number {
    const s = this.s;
    const t = (((s[0]! + s[1]!) >>> 0) + s[3]!) >>> 0;
    s[3] = (s[3]! + 1) >>> 0;
    s[0] = s[1]! ^ (s[1]! >>> 9);
    s[1] = (s[2]! + (s[2]! << 3)) >>> 0;
    s[2] = ((s[2]! << 21) | (s[2]! >>> 11)) >>> 0;
    s[2] = (s[2]! + t) >>> 0;
    return t;
  }

  /** A float in [0, 1), like Math.random. Never exactly 0, because tfjs treats a 0 seed as "no seed". */
  next(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4) throw new Error(`random state must have 4 words, received ${state.length}`);
    this.s = Uint32Array.from(state);
  }

  getState(): number[] {
    return [...this.s];
  }
}

/**
 * Makes `Math.random` draw from `rng` until the returned function is called (it restores the original).
 * Nested installs restore in reverse order.
 */
export function installAsMathRandom(rng: SeededRandom): () => void {
  const original = Math.random;
  Math.random = () => rng.next();
  return () => {
    Math.random = original;
  };
}
