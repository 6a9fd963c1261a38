import { canonicalJson, type Param, type Params } from '../../proto/index.js';
import { SpecError } from '../errors.js';
import { Rng } from '../../common/random.js';
import type { Distribution } from './schema.js';

/** Problems a schema cannot see: empty or reversed ranges, log of non-positive numbers, empty integer ranges. */
export function distributionIssues(d: Distribution): string | undefined {
  if ('choice' in d) return undefined;
  const log = 'log_uniform' in d;
  const [low, high] = log ? d.log_uniform : d.uniform;
  if (!(low < high)) return `expected low < high, got [${low}, ${high}]`;
  if (log && low <= 0) return `log_uniform needs low > 0, got ${low}`;
  if (d.integer && Math.ceil(low) >= high) return `integer: no integer in [${low}, ${high})`;
  return undefined;
}

/** One draw from a distribution. */
export function drawValue(d: Distribution, rng: Rng): Param {
  let v: Param;
  if ('choice' in d) {
    v = d.choice[Math.min(d.choice.length - 1, Math.floor(rng.next() * d.choice.length))] as Param;
  } else {
    const log = 'log_uniform' in d;
    const [low, high] = log ? d.log_uniform : d.uniform;
    const u = rng.next();
    let x = log ? Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low))) : low + u * (high - low);
    if (d.integer) x = Math.min(Math.max(Math.floor(x), Math.ceil(low)), Math.ceil(high) - 1);
    // 12 significant digits keep specs and ids readable without changing any experiment.
    else x = Number(x.toPrecision(12));
    v = x;
  }
  return d.repeat === undefined ? v : Array.from({ length: d.repeat }, () => v);
}

/** Draws per wanted point before a space is declared too small for `samples` distinct points. */
const DRAWS_PER_SAMPLE = 20;

/**
 * The `samples` distinct points of a search, keys in spec order, the same for the same search every
 * time. A point drawn twice is drawn again (two equal points would be one trial); a space with
 * fewer distinct points than `samples` is an error.
 */
export function drawSamples(search: { samples: number; seed: number; space: Readonly<Record<string, Distribution>> }): Params[] {
  const rng = new Rng(search.seed);
  const keys = Object.entries(search.space);
  const out: Params[] = [];
  const seen = new Set<string>();
  const budget = search.samples * DRAWS_PER_SAMPLE;
  for (let draws = 0; out.length < search.samples; draws++) {
    if (draws >= budget) {
      throw SpecError.at('search.samples', `${search.samples} distinct points wanted, but ${budget} draws gave only ${out.length}: the space is smaller than that (lower samples, or widen search.space)`);
    }
    const point: Params = {};
    for (const [k, d] of keys) point[k] = drawValue(d, rng);
    const key = canonicalJson(point);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(point);
  }
  return out;
}
