import { z } from 'zod';
import type { Params } from '../../proto/index.js';
import { DatasetError } from '../errors.js';
import { parseOptions } from './options.js';
import { Rng } from './random.js';
import { concatSplits } from './spurious.js';
import type { Dataset, Split } from './types.js';

/**
 * Options of `toxicity`: a synthetic stand-in for hate-speech detection with identity mentions
 * (the Civil Comments setting). Each comment mentions one identity subgroup and is a bag of words
 * over toxic, neutral and identity terms; the label is driven by the toxic terms (a comment is
 * toxic with probability `base_rate` and then uses toxic words more often), while in the training
 * data the comments mentioning the `biased_groups` are toxic far more often (`biased_rate`), so
 * identity terms become a spurious cue — as in real toxicity data, where identity mentions
 * co-occur with toxic comments. Validation and test use `base_rate` for every subgroup.
 * Features: log(1 + count) per vocabulary term. Subgroups (`attribute`) are `id=<k>`.
 */
export const toxicityOptions = z.strictObject({
  n: z.number().int().min(40).max(1_000_000).default(4000),
  n_val: z.number().int().min(10).max(1_000_000).optional(),
  n_test: z.number().int().min(10).max(1_000_000).optional(),
  /** Number of identity subgroups. */
  groups: z.number().int().min(2).max(16).default(4),
  /** Share of comments mentioning each subgroup (default: equal). */
  group_shares: z.array(z.number().positive()).optional(),
  /** Subgroups over-represented among toxic training comments. */
  biased_groups: z.array(z.number().int().min(0)).default([0, 1]),
  base_rate: z.number().min(0.01).max(0.99).default(0.3),
  biased_rate: z.number().min(0.01).max(0.99).default(0.7),
  toxic_terms: z.number().int().min(1).max(1000).default(20),
  neutral_terms: z.number().int().min(0).max(10_000).default(60),
  identity_terms: z.number().int().min(1).max(100).default(3),
  /** Mean number of words per comment. */
  length: z.number().min(2).max(1000).default(20),
  /** Share of a toxic comment's words that are toxic terms (non-toxic comments: a tenth of it). */
  toxicity: z.number().min(0).max(1).default(0.1),
});

export type ToxicityOptions = z.output<typeof toxicityOptions>;

function draw(rng: Rng, n: number, o: ToxicityOptions, training: boolean, shares: number[]): Split {
  const vocab = o.toxic_terms + o.neutral_terms + o.groups * o.identity_terms;
  const x = new Float32Array(n * vocab);
  const y = new Float32Array(n);
  const attribute = new Array<string>(n);
  const group = new Array<string>(n);
  const cum = shares.map(((s) => (a: number) => (s += a))(0));
  const total = cum.at(-1) as number;
  const counts = new Float32Array(vocab);
  for (let i = 0; i < n; i++) {
    const u = rng.next() * total;
    const g = Math.max(0, cum.findIndex((c) => u < c));
    const rate = training && o.biased_groups.includes(g) ? o.biased_rate : o.base_rate;
    const toxic = rng.bernoulli(rate);
    counts.fill(0);
    const words = Math.max(2, Math.round(o.length + Math.sqrt(o.length) * rng.normal()));
    const pToxic = toxic ? o.toxicity : o.toxicity / 10;
    // One or two identity terms of the subgroup, the rest toxic or neutral words.
    const idWords = 1 + (rng.bernoulli(0.3) ? 1 : 0);
    for (let k = 0; k < idWords; k++) counts[o.toxic_terms + o.neutral_terms + g * o.identity_terms + Math.floor(rng.next() * o.identity_terms)]! += 1;
    for (let k = idWords; k < words; k++) {
      if (rng.bernoulli(pToxic) || o.neutral_terms === 0) counts[Math.floor(rng.next() * o.toxic_terms)]! += 1;
      else counts[o.toxic_terms + Math.floor(rng.next() * o.neutral_terms)]! += 1;
    }
    for (let j = 0; j < vocab; j++) x[i * vocab + j] = Math.log1p(counts[j] as number);
    y[i] = toxic ? 1 : 0;
    attribute[i] = `id=${g}`;
    group[i] = `y=${toxic ? 1 : 0},id=${g}`;
  }
  return { n, x, y, attribute, group };
}

export function toxicityDataset(options: Params, seed: number): Dataset {
  const o = parseOptions(toxicityOptions, options, 'toxicity');
  for (const [i, g] of o.biased_groups.entries()) if (g >= o.groups) throw new DatasetError(`dataset.biased_groups[${i}]: subgroup ${g} does not exist (groups: ${o.groups})`);
  if (o.group_shares && o.group_shares.length !== o.groups) throw new DatasetError(`dataset.group_shares: expected ${o.groups} shares (one per subgroup), got ${o.group_shares.length}`);
  const shares = o.group_shares ?? Array<number>(o.groups).fill(1);
  const rng = new Rng(seed);
  const dim = o.toxic_terms + o.neutral_terms + o.groups * o.identity_terms;
  // Two training environments of equal size (for methods that use environments).
  const half = Math.floor(o.n / 2);
  const environments = [draw(rng, half, o, true, shares), draw(rng, o.n - half, o, true, shares)];
  return {
    name: 'toxicity',
    dim,
    environments,
    train: concatSplits(environments, dim),
    val: draw(rng, o.n_val ?? Math.max(10, Math.floor(o.n / 4)), o, false, shares),
    test: draw(rng, o.n_test ?? Math.max(10, Math.floor(o.n / 2)), o, false, shares),
  };
}
