import type { Params } from '../../proto/index.js';
import { DatasetError } from '../errors.js';
import { spuriousDataset } from './spurious.js';
import { coloredMnistDataset } from './colored-mnist.js';
import { csvDataset } from './csv.js';
import { toxicityDataset } from './toxicity.js';
import type { Dataset } from './types.js';
import type { DataRoot } from './data-root.js';

export type { Dataset, Split } from './types.js';
export { reportedSplits } from './types.js';
export { concatSplits } from './spurious.js';
export { DataRoot, requireDataRoot } from './data-root.js';

/** Builds a dataset; those that read files read them under `root` (the worker's data directory) only. */
type DatasetLoader = (options: Params, seed: number, root: DataRoot | undefined) => Dataset;

/** The builder of each dataset the catalog describes (catalog/datasets holds their option schemas). */
const DATASETS: ReadonlyMap<string, DatasetLoader> = new Map<string, DatasetLoader>([
  ['spurious', spuriousDataset],
  ['colored-mnist', coloredMnistDataset],
  ['csv', csvDataset],
  ['toxicity', toxicityDataset],
]);

/**
 * Builds a dataset deterministically from its options and the trial seed. A dataset read from a
 * file (`csv`) is read under `root`, the worker's data directory (TrialRuntime.dataRoot); without
 * one it fails with NoDataDirError.
 */
export function loadDataset(name: string, options: Params, seed: number, root?: DataRoot): Dataset {
  const d = DATASETS.get(name);
  if (!d) throw new DatasetError(`dataset.name: unknown dataset "${name}" (known: ${[...DATASETS.keys()].join(', ')})`);
  return d(options, seed, root);
}


/** Names of the datasets this worker can build. */
export function loadableDatasets(): string[] {
  return [...DATASETS.keys()];
}
