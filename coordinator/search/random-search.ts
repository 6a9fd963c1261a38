import { proposalRng, uniformPoint, type AskRequest, type SearchAlgorithm } from './algorithm.js';

/** Uniform random proposals, ignoring every observation: the baseline (Bergstra & Bengio 2012). */
export const randomSearch: SearchAlgorithm = {
  name: 'random',
  ask(req: AskRequest): number[][] {
    return Array.from({ length: req.count }, (_, j) => uniformPoint(proposalRng(req.seed, req.batch, j), req.dims));
  },
};
