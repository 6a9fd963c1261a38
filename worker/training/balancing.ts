import type { Split } from '../datasets/index.js';
import { Rng } from '../../common/index.js';
import { at, mustGet, swap } from '../checked-access.js';

/** What group balancing balances (seeds/interventions-lecture-notes.md): the groups, or the classes. */
export type BalanceBy = 'group' | 'class';

const keyOf = (s: Split, i: number, by: BalanceBy): string => (by === 'group' ? at(s.group, i, 'groups') : `y=${s.y[i]}`);

/**
 * `reweight`: each row weighted by 1/|its group|, normalised so the weights average 1; every
 * group then carries the same total weight n/G.
 */
export function balancingWeights(s: Split, by: BalanceBy): Float32Array {
  const counts = new Map<string, number>();
  for (let i = 0; i < s.n; i++) counts.set(keyOf(s, i, by), (counts.get(keyOf(s, i, by)) ?? 0) + 1);
  const w = new Float32Array(s.n);
  const perGroup = s.n / counts.size;
  for (let i = 0; i < s.n; i++) w[i] = perGroup / mustGet(counts, keyOf(s, i, by), 'group sizes');
  return w;
}

/**
 * `subsample`: every group drawn down (without replacement, from the seed) to the size of the
 * smallest group; rows keep their original order.
 */
export function balancedSubsample(s: Split, dim: number, by: BalanceBy, seed: number): Split {
  const byKey = new Map<string, number[]>();
  for (let i = 0; i < s.n; i++) {
    const k = keyOf(s, i, by);
    const list = byKey.get(k);
    if (list) list.push(i);
    else byKey.set(k, [i]);
  }
  const size = Math.min(...[...byKey.values()].map((l) => l.length));
  const rng = new Rng(seed ^ 0x5eed);
  const keep: number[] = [];
  for (const list of byKey.values()) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      swap(list, i, j);
    }
    keep.push(...list.slice(0, size));
  }
  keep.sort((a, b) => a - b);
  return selectRows(s, dim, keep);
}

/** The rows `idx` of a split, in that order. */
export function selectRows(s: Split, dim: number, idx: readonly number[]): Split {
  const x = new Float32Array(idx.length * dim);
  const y = new Float32Array(idx.length);
  idx.forEach((r, i) => {
    x.set(s.x.subarray(r * dim, (r + 1) * dim), i * dim);
    y[i] = at(s.y, r, 'labels');
  });
  return { n: idx.length, x, y, attribute: idx.map((r) => at(s.attribute, r, 'attributes')), group: idx.map((r) => at(s.group, r, 'groups')) };
}
