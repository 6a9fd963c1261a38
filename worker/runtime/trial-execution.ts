import { fromParamMap, type Shard, type Trial } from '../../proto/index.js';
import { getMethod } from '../../catalog/index.js';
import { loadMethod } from '../methods/index.js';
import { parseTrialParams } from '../methods/method-params.js';
import type { TrialOutput, TrialRuntime } from '../methods/types.js';
import { TrialFailedError } from '../errors.js';

/**
 * Runs one trial of a shard: finds the method in the catalog and its implementation on this
 * worker, validates the params with the catalog's schema, and runs it. A method this worker does
 * not know, or invalid params, fail the same way on every attempt: TrialFailedError.
 */
export async function executeTrial(shard: Shard, trial: Trial, attempt: number, rt: TrialRuntime): Promise<TrialOutput> {
  const desc = getMethod(shard.method);
  if (!desc) throw new TrialFailedError(`this worker has no method "${shard.method}" (is it an older version than the coordinator?)`);
  const params = parseTrialParams(desc.params, fromParamMap(trial.params));
  const loading = loadMethod(shard.method);
  if (!loading) throw new TrialFailedError(`this worker implements no method "${shard.method}" (is it an older version than the coordinator?)`);
  const impl = await loading;
  return impl.run(
    {
      trialId: trial.id,
      sweepId: shard.sweepId,
      params,
      seed: trial.seed,
      dataset: { name: shard.dataset?.name ?? '', options: fromParamMap(shard.dataset?.options ?? {}) },
      attempt,
    },
    rt,
  );
}
