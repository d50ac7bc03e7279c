/**
 * A small seeded PRNG (mulberry32) so randomized tests reproduce: print the seed, rerun with
 * it in the environment variable the test names.
 */
export class Prng {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** The seed from `envVar` when set (to reproduce a failure), else a fresh one. */
export function seedFrom(envVar: string): number {
  const v = process.env[envVar];
  if (v !== undefined && v !== "") {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`${envVar} must be an integer seed, got ${JSON.stringify(v)}`);
    return n >>> 0;
  }
  return (Math.random() * 0x100000000) >>> 0;
}
