import { LEAVE_ONE_DOMAIN_OUT, fromParamMap, type Shard, type Trial } from '../../proto/index.js';
import { datasetShape, getMethod } from '../../catalog/index.js';
import { memoryGuard } from '../methods/memory-guard.js';
import { loadMethod } from '../methods/index.js';
import { parseTrialParams } from '../methods/method-params.js';
import type { TrialOutput, TrialRuntime } from '../methods/types.js';
import { TrialFailedError } from '../errors.js';

/**
 * Runs one trial of a shard: finds the method in the catalog and its implementation on this
 * worker, validates the params with the catalog's schema, and runs it. A method this worker does
 * not know, invalid params, or a trial over the worker's memory budget (checked from the dataset's
 * shape before it is built; a csv dataset once read) fail the same way on every attempt:
 * TrialFailedError.
 */
export async function executeTrial(shard: Shard, trial: Trial, attempt: number, rt: TrialRuntime): Promise<TrialOutput> {
  const desc = getMethod(shard.method);
  if (!desc) throw new TrialFailedError(`this worker has no method "${shard.method}" (is it an older version than the coordinator?)`);
  const params = parseTrialParams(desc.params, fromParamMap(trial.params));
  const loading = loadMethod(shard.method);
  if (!loading) throw new TrialFailedError(`this worker implements no method "${shard.method}" (is it an older version than the coordinator?)`);
  const dataset = { name: shard.dataset?.name ?? '', options: fromParamMap(shard.dataset?.options ?? {}) };
  const checkMemory = rt.memoryBudget && desc.memory ? memoryGuard(desc, params, rt.memoryBudget) : undefined;
  const shape = checkMemory ? datasetShape(dataset.name, dataset.options) : undefined;
  if (checkMemory && shape) checkMemory(shape);
  if (shard.selection === LEAVE_ONE_DOMAIN_OUT && !desc.leaveOneDomainOut) throw new TrialFailedError(`selection leave-one-domain-out: method "${shard.method}" does not train per held-out environment`);
  const impl = await loading;
  const input = { trialId: trial.id, sweepId: shard.sweepId, params, seed: trial.seed, dataset, attempt, ...(shard.selection ? { selection: shard.selection } : {}) };
  return impl.run(input, checkMemory ? { ...rt, checkMemory } : rt);
}
