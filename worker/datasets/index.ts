import type { Params } from '../../proto/index.js';
import { DatasetError } from '../errors.js';
import { spuriousDataset, spuriousOptions } from './spurious.js';
import { coloredMnistDataset, coloredMnistOptions } from './colored-mnist.js';
import { csvDataset, csvOptions } from './csv.js';
import { toxicityDataset, toxicityOptions } from './toxicity.js';
import type { Dataset } from './types.js';
import type { z } from 'zod';

export type { Dataset, Split } from './types.js';
export { Rng } from './random.js';
export { concatSplits } from './spurious.js';

interface DatasetEntry {
  options: z.ZodType;
  load(options: Params, seed: number): Dataset;
}

const DATASETS: ReadonlyMap<string, DatasetEntry> = new Map<string, DatasetEntry>([
  ['spurious', { options: spuriousOptions, load: spuriousDataset }],
  ['colored-mnist', { options: coloredMnistOptions, load: coloredMnistDataset }],
  ['csv', { options: csvOptions, load: csvDataset }],
  ['toxicity', { options: toxicityOptions, load: toxicityDataset }],
]);

/** Builds a dataset deterministically from its options and the trial seed. */
export function loadDataset(name: string, options: Params, seed: number): Dataset {
  const d = DATASETS.get(name);
  if (!d) throw new DatasetError(`dataset.name: unknown dataset "${name}" (known: ${[...DATASETS.keys()].join(', ')})`);
  return d.load(options, seed);
}

/** The option schema of a dataset, for validating specs before dispatch. */
export function datasetOptionsSchema(name: string): z.ZodType | undefined {
  return DATASETS.get(name)?.options;
}
