import test from 'ava';
import { loadDataset } from '../worker/datasets/index.js';
import { DatasetError } from '../worker/errors.js';
import type { Split } from '../worker/datasets/index.js';

const rate = (s: Split, g: string): number => {
  let n = 0;
  let pos = 0;
  s.attribute.forEach((a, i) => {
    if (a !== g) return;
    n++;
    pos += s.y[i]!;
  });
  return pos / n;
};

test('toxicity: biased subgroups are over-represented among toxic training comments only; features are log counts', (t) => {
  const d = loadDataset('toxicity', { n: 8000, groups: 4, biased_groups: [0, 1], base_rate: 0.3, biased_rate: 0.7 }, 0);
  t.is(d.dim, 20 + 60 + 4 * 3);
  t.is(d.environments.length, 2);
  t.true(Math.abs(rate(d.train, 'id=0') - 0.7) < 0.04 && Math.abs(rate(d.train, 'id=1') - 0.7) < 0.04);
  t.true(Math.abs(rate(d.train, 'id=2') - 0.3) < 0.04 && Math.abs(rate(d.train, 'id=3') - 0.3) < 0.04);
  for (const g of ['id=0', 'id=1', 'id=2', 'id=3']) t.true(Math.abs(rate(d.test, g) - 0.3) < 0.05, `test rate of ${g}`);
  // Toxic comments use toxic terms more: the mean toxic-term mass is higher for y = 1.
  const toxicMass = (label: number): number => {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < d.train.n; i++) {
      if (d.train.y[i] !== label) continue;
      n++;
      for (let j = 0; j < 20; j++) sum += d.train.x[i * d.dim + j]!;
    }
    return sum / n;
  };
  t.true(toxicMass(1) > 3 * toxicMass(0));
  // Each comment mentions its own subgroup's identity terms only.
  for (let i = 0; i < 200; i++) {
    const g = Number(d.train.attribute[i]!.slice(3));
    for (let k = 0; k < 4; k++) {
      const mass = [0, 1, 2].reduce((s, j) => s + d.train.x[i * d.dim + 80 + k * 3 + j]!, 0);
      if ((mass > 0) !== (k === g)) return t.fail(`row ${i}: identity terms of subgroup ${k}`);
    }
  }
  t.deepEqual(loadDataset('toxicity', { n: 100 }, 3).train.x, loadDataset('toxicity', { n: 100 }, 3).train.x);
});

test('bad toxicity options are named', (t) => {
  t.throws(() => loadDataset('toxicity', { groups: 2, biased_groups: [3] }, 0), { instanceOf: DatasetError, message: /dataset\.biased_groups\[0\]: subgroup 3 does not exist/ });
  t.throws(() => loadDataset('toxicity', { groups: 3, group_shares: [1, 2] }, 0), { instanceOf: DatasetError, message: /dataset\.group_shares: expected 3 shares/ });
});
