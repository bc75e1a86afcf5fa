// Seeded PRNG owned by the scheduler: the only source of randomness in a run.

/** splitmix32 finaliser: decorrelates (seed, index) pairs so schedule i's stream depends on (S, i) alone. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export function deriveSeed(seed: number, index: number, salt = 0): number {
  return mix32(mix32(mix32(seed >>> 0) ^ (index >>> 0)) ^ salt);
}

/** mulberry32: 32-bit state, fast, good enough for schedule choices. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  reseed(seed: number): void {
    this.s = seed >>> 0;
  }
  nextU32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** uniform integer in [0, bound) */
  below(bound: number): number {
    return bound <= 1 ? 0 : this.nextU32() % bound;
  }
}
