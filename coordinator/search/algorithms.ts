import type { SearchAlgorithm } from './algorithm.js';
import { motpe } from './motpe.js';
import { nsga2 } from './nsga2.js';
import { randomSearch } from './random-search.js';

/** The adaptive search algorithms a spec's `search.algorithm` may name. */
export const SEARCH_ALGORITHMS = ['random', 'nsga2', 'motpe'] as const;
export type SearchAlgorithmName = (typeof SEARCH_ALGORITHMS)[number];

/** The algorithm of a name, with its default settings. */
export function searchAlgorithm(name: SearchAlgorithmName): SearchAlgorithm {
  switch (name) {
    case 'random':
      return randomSearch;
    case 'nsga2':
      return nsga2();
    case 'motpe':
      return motpe();
  }
}
