import { DatasetError } from '../errors.js';
import type { Params } from '../../proto/index.js';
import { Rng } from '../../common/random.js';
import { trainvalSeed, type Dataset, type Split } from './types.js';
import { parseOptions } from './options.js';
import { spuriousOptions, type SpuriousOptions } from '../../catalog/datasets/spurious.js';


function draw(rng: Rng, n: number, pMaj: number, o: SpuriousOptions): Split {
  const dim = 2 + o.d;
  const x = new Float32Array(n * dim);
  const y = new Float32Array(n);
  const attribute = new Array<string>(n);
  const group = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const label = rng.bernoulli(0.5) ? 1 : -1;
    const a = rng.bernoulli(pMaj) ? label : -label;
    const row = i * dim;
    x[row] = label + o.sigma_c * rng.normal();
    x[row + 1] = a + o.sigma_s * rng.normal();
    for (let j = 0; j < o.d; j++) x[row + 2 + j] = o.sigma_n * rng.normal();
    y[i] = label === 1 ? 1 : 0;
    attribute[i] = `a=${a}`;
    group[i] = `y=${label},a=${a}`;
  }
  return { n, x, y, attribute, group };
}

export function concatSplits(parts: readonly Split[], dim: number): Split {
  const n = parts.reduce((s, p) => s + p.n, 0);
  const x = new Float32Array(n * dim);
  const y = new Float32Array(n);
  const attribute: string[] = [];
  const group: string[] = [];
  let off = 0;
  for (const p of parts) {
    x.set(p.x, off * dim);
    y.set(p.y, off);
    attribute.push(...p.attribute);
    group.push(...p.group);
    off += p.n;
  }
  return { n, x, y, attribute, group };
}

export function spuriousDataset(options: Params, seed: number): Dataset {
  const o = parseOptions(spuriousOptions, options, 'spurious');
  const envs = o.env_p_maj.length;
  if (o.n < envs * 4) throw new DatasetError(`dataset.n: ${o.n} rows cannot fill ${envs} environments`);
  const rng = new Rng(seed);
  const per = Math.floor(o.n / envs);
  const environments = o.env_p_maj.map((p, e) => draw(rng, e === envs - 1 ? o.n - per * (envs - 1) : per, p, o));
  const dim = 2 + o.d;
  const val = draw(rng, o.n_val ?? Math.max(4, Math.floor(o.n / 4)), o.test_p_maj, o);
  const test = draw(rng, o.n_test ?? Math.max(4, Math.floor(o.n / 2)), o.test_p_maj, o);
  // As many rows as val, shared out over the training environments as the training rows are.
  const tv = new Rng(trainvalSeed(seed));
  const perVal = Math.max(2, Math.floor(val.n / envs));
  const trainval = concatSplits(o.env_p_maj.map((p) => draw(tv, perVal, p, o)), dim);
  return { name: 'spurious', dim, environments, train: concatSplits(environments, dim), trainval, val, test };
}
