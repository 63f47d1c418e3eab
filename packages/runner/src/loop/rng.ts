/**
 * The run's random stream as `Math.random`, so a resumed run draws exactly what the uninterrupted run would
 * have drawn.
 *
 * Why Math.random: tfjs seeds an unseeded random op (weight initialisers, dropout) from `Math.random()`
 * (tfjs-core `rand_util.ts`). Installing core's seeded stream as `Math.random` for the duration of a run
 * therefore makes weight initialisation and dropout masks reproducible from the spec's seed without every
 * plugin having to thread a seed through, and the stream's state goes into each checkpoint.
 */
import type { SeededRandom } from '@vgglab/core';

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
