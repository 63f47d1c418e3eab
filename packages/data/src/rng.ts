/**
 * Seeded randomness. Every random draw of the data path comes from a generator keyed by a tuple of
 * integers, e.g. (seed, epoch, sample index), so results do not depend on batch size, order or timing.
 */
// The dependency-free entry of core: the data path does not load tfjs for it.
import { SeededRandom } from '@vgglab/core/random';

/** 32-bit mix (murmur3's finaliser). */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a tuple of integers (any sign, up to 2^53) into 32 bits. */
export function hashInts(...keys: number[]): number {
  let h = 0x9e3779b9;
  for (const k of keys) {
    const lo = k >>> 0;
    const hi = Math.floor(k / 4294967296) >>> 0;
    h = mix32(h ^ lo) + 0x6d2b79f5;
    h = mix32(h ^ hi);
  }
  return h >>> 0;
}

/** Hashes a string (FNV-1a then mixed) into 32 bits. */
export function hashString(s: string, seed = 0): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h >>> 0);
}

export type Rng = () => number;

/** A generator of uniform floats in [0, 1): core's sfc32, its state seeded from hashes of the tuple. */
export function rngFor(...keys: number[]): Rng {
  const sfc32 = new SeededRandom([hashInts(...keys, 1), hashInts(...keys, 2), hashInts(...keys, 3), 1]);
  for (let i = 0; i < 12; i++) sfc32.nextUint32();
  return () => sfc32.nextUint32() / 4294967296;
}

/** An integer in [lo, hi) (Python's randint(lo, hi - 1)). */
export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo));
}

export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + rng() * (hi - lo);
}

/** A standard normal draw (Box-Muller). */
export function normal(rng: Rng): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Fisher-Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[] | Int32Array, rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t as never;
  }
}

/** Streams of randomness that must not overlap. */
export const STREAM = { shuffle: 1, augment: 2, shapes: 3, split: 4 } as const;
