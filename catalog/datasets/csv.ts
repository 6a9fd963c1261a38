import { z } from 'zod';

/**
 * Options of the `csv` dataset: the user's own table. `path` is read on the worker, relative to
 * its data directory (`fairsweep worker --data-dir`; `fairsweep run` gives its workers the
 * directory it was started in, or its `--data-dir`); absolute paths and paths leading out of it
 * are refused.
 * Rows are shuffled with the trial seed and cut into train / validation / test; with an
 * `environment` column the training rows form one environment per value (for IRM-family methods).
 */
export const csvOptions = z.strictObject({
  path: z.string().min(1),
  label: z.string().min(1),
  /** The sensitive attribute: demographic parity, equalized odds and calibration are taken between its values. */
  group: z.string().min(1),
  /** Feature columns; default every column but label, group and environment. */
  features: z.array(z.string().min(1)).min(1).optional(),
  environment: z.string().min(1).optional(),
  /** The label value counted as positive (1); default: labels must already be 0/1. */
  positive_label: z.union([z.string(), z.number()]).optional(),
  val_fraction: z.number().min(0).max(0.9).default(0.15),
  test_fraction: z.number().min(0.01).max(0.9).default(0.25),
});

export type CsvOptions = z.output<typeof csvOptions>;
