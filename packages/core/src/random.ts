/**
 * The one seeded random generator of vgglab: sfc32 (Chris Doty-Humphrey's Small Fast Counter), 128 bits of
 * state, passes PractRand, trivially saved and restored. The runner seeds weight initialisation and dropout
 * from it (its state goes into every checkpoint); the data path derives one stream per (seed, epoch, sample)
 * from it, so draws do not depend on batch size, order or timing.
 */
export class SeededRandom {
  private s: Uint32Array;

  /**
   * From a seed (mixed in: the first outputs of sfc32 from a sparse state are poor), or from a saved state of
   * four 32-bit words, taken as it is.
   */
  constructor(seed: number | readonly number[]) {
    if (typeof seed === 'number') {
      this.s = new Uint32Array([0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0]);
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
