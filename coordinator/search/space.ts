import type { Param, Params } from '../../proto/index.js';
import type { Distribution } from '../spec/schema.js';

/**
 * A search space as the algorithms see it: every key one coordinate of the unit cube [0, 1)^d, so
 * crossover, mutation and Parzen estimators need not know about logs, integers or choices. A
 * coordinate u decodes to low + u·(high − low) (uniform), exp of that on logs (log_uniform), rounded
 * down within [⌈low⌉, high) (integer), the ⌊u·k⌋-th value (choice of k), repeated `repeat` times.
 */
export class UnitSpace {
  readonly keys: readonly string[];
  private readonly dists: readonly Distribution[];

  constructor(space: Readonly<Record<string, Distribution>>) {
    this.keys = Object.keys(space);
    this.dists = Object.values(space);
  }

  get dims(): number {
    return this.keys.length;
  }

  /**
   * The coordinates (one list per key, ascending) that decode to each distinct value of a discrete
   * key (choice or integer), undefined for a continuous key: found by decoding a fine grid of u.
   */
  discreteLevels(): (number[] | undefined)[] {
    return this.dists.map((d) => {
      if (!('choice' in d) && !d.integer) return undefined;
      const levels: number[] = [];
      let last: string | undefined;
      for (let i = 0; i < LEVEL_GRID; i++) {
        const u = (i + 0.5) / LEVEL_GRID;
        const v = JSON.stringify(decodeValue(d, u));
        if (v !== last) levels.push(u);
        last = v;
      }
      return levels;
    });
  }

  /** The params of a point of the unit cube (coordinates clamped into [0, 1)). */
  decode(u: readonly number[]): Params {
    const out: Params = {};
    this.keys.forEach((k, i) => (out[k] = decodeValue(this.dists[i] as Distribution, clampUnit(u[i] ?? 0))));
    return out;
  }
}

/** Points of [0, 1) decoded per key to find the distinct values of a discrete key. */
const LEVEL_GRID = 8192;

/** Clamps into [0, 1): the largest double below 1 stands for 1. */
export function clampUnit(x: number): number {
  if (!(x > 0)) return 0;
  return x < 1 ? x : 1 - Number.EPSILON / 2;
}

function decodeValue(d: Distribution, u: number): Param {
  let v: Param;
  if ('choice' in d) {
    v = d.choice[Math.min(d.choice.length - 1, Math.floor(u * d.choice.length))] as Param;
  } else {
    const log = 'log_uniform' in d;
    const [low, high] = log ? d.log_uniform : d.uniform;
    let x = log ? Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low))) : low + u * (high - low);
    if (d.integer) x = Math.min(Math.max(Math.floor(x), Math.ceil(low)), Math.ceil(high) - 1);
    else x = Math.min(Math.max(Number(x.toPrecision(12)), low), high);
    v = x;
  }
  return d.repeat === undefined ? v : Array.from({ length: d.repeat }, () => v);
}
