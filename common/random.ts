/** Seeded pseudo-random numbers: datasets are deterministic given (options, seed). */
export class Rng {
  private s: number;
  private spare: number | undefined;

  constructor(seed: number) {
    // Spread the seed (mulberry32 state) so nearby seeds give unrelated streams.
    this.s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ 0x2545f491) >>> 0;
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const a = new Uint32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = a[i] as number;
      a[i] = a[j] as number;
      a[j] = t;
    }
    return a;
  }
}
