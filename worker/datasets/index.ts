import type { Params } from '../../proto/index.js';
import { DatasetError } from '../errors.js';
import { spuriousDataset } from './spurious.js';
import { coloredMnistDataset } from './colored-mnist.js';
import { csvDataset } from './csv.js';
import { toxicityDataset } from './toxicity.js';
import type { Dataset } from './types.js';

export type { Dataset, Split } from './types.js';
export { concatSplits } from './spurious.js';

type DatasetLoader = (options: Params, seed: number) => Dataset;

/** The builder of each dataset the catalog describes (catalog/datasets holds their option schemas). */
const DATASETS: ReadonlyMap<string, DatasetLoader> = new Map<string, DatasetLoader>([
  ['spurious', spuriousDataset],
  ['colored-mnist', coloredMnistDataset],
  ['csv', csvDataset],
  ['toxicity', toxicityDataset],
]);

/** Builds a dataset deterministically from its options and the trial seed. */
export function loadDataset(name: string, options: Params, seed: number): Dataset {
  const d = DATASETS.get(name);
  if (!d) throw new DatasetError(`dataset.name: unknown dataset "${name}" (known: ${[...DATASETS.keys()].join(', ')})`);
  return d(options, seed);
}


/** Names of the datasets this worker can build. */
export function loadableDatasets(): string[] {
  return [...DATASETS.keys()];
}
