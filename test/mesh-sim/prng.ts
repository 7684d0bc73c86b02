/**
 * A small seeded PRNG (mulberry32): fast, 32-bit state, good enough for traffic simulation and
 * fully reproducible given the seed.
 */

/** A source of uniform numbers in [0, 1). Each call advances its state. */
export type Rng = () => number;

export const seededRng = (seed: number): Rng => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
};

/** A stable 32-bit seed derived from a base seed and a name (FNV-1a), so streams are independent. */
export const deriveSeed = (seed: number, name: string): number => {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
};
