import type { z } from 'zod';
import { spuriousOptions } from './spurious.js';
import { coloredMnistOptions } from './colored-mnist.js';
import { csvOptions } from './csv.js';
import { toxicityOptions } from './toxicity.js';

export { spuriousOptions, type SpuriousOptions } from './spurious.js';
export { coloredMnistOptions, type ColoredMnistOptions } from './colored-mnist.js';
export { csvOptions, type CsvOptions } from './csv.js';
export { toxicityOptions, type ToxicityOptions } from './toxicity.js';
export { datasetShape, COLORED_MNIST_SOURCE_DIGITS, type DatasetShape } from './shape.js';

/** The option schema of every dataset a worker can build, by spec `dataset.name`. */
const DATASET_OPTIONS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ['spurious', spuriousOptions],
  ['colored-mnist', coloredMnistOptions],
  ['csv', csvOptions],
  ['toxicity', toxicityOptions],
]);

/** The option schema of a dataset, for validating specs before dispatch. */
export function datasetOptionsSchema(name: string): z.ZodType | undefined {
  return DATASET_OPTIONS.get(name);
}

export function datasetNames(): string[] {
  return [...DATASET_OPTIONS.keys()];
}
export { trainingEnvironments } from './environments.js';
