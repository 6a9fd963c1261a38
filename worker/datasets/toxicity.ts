import type { Params } from '../../proto/index.js';
import { DatasetError } from '../errors.js';
import { parseOptions } from './options.js';
import { toxicityOptions, type ToxicityOptions } from '../../catalog/datasets/toxicity.js';
import { Rng } from '../../common/random.js';
import { concatSplits } from './spurious.js';
import { trainvalSeed, type Dataset, type Split } from './types.js';
import { at } from '../checked-access.js';


function draw(rng: Rng, n: number, o: ToxicityOptions, training: boolean, shares: number[]): Split {
  const vocab = o.toxic_terms + o.neutral_terms + o.groups * o.identity_terms;
  const x = new Float32Array(n * vocab);
  const y = new Float32Array(n);
  const attribute = new Array<string>(n);
  const group = new Array<string>(n);
  const cum = shares.map(((s) => (a: number) => (s += a))(0));
  const total = at(cum, cum.length - 1, 'group shares');
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
    for (let j = 0; j < vocab; j++) x[i * vocab + j] = Math.log1p(at(counts, j));
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
    trainval: draw(new Rng(trainvalSeed(seed)), o.n_val ?? Math.max(10, Math.floor(o.n / 4)), o, true, shares),
    test: draw(rng, o.n_test ?? Math.max(10, Math.floor(o.n / 2)), o, false, shares),
  };
}
