import { Shard, TrialResult, TrialStatus } from './gen/fairsweep/v1/types.js';
import { resultSubject, shardSubject } from './subjects.js';

/**
 * Decoding checked against the subject a message was stored on, as both sides must read the
 * streams: protobuf decodes many a random byte string (an empty one included) into a message with
 * default fields, so decoding alone says little.
 */

/** A message on a result subject that is not a complete result of the trial its subject names. */
export class MalformedResultError extends Error {
  override name = 'MalformedResultError';
}

/** A message on a shard subject that is not a shard of the sweep its subject names. */
export class MalformedShardError extends Error {
  override name = 'MalformedShardError';
}

/**
 * The trial result stored on `subject`: the bytes decode, name the sweep and trial of the subject
 * they were published on, carry a final status (ok, failed or pruned) and a finish time (a late field: a
 * message cut short lacks it). Anything else — random bytes, a truncated message, another trial's
 * or another sweep's result — is not this trial's result: MalformedResultError. The coordinator
 * then does not record it, and a worker finding it in the place of its result deletes it and
 * publishes its own.
 */
export function decodeResultOn(subject: string, data: Uint8Array): TrialResult {
  let r: TrialResult;
  try {
    r = TrialResult.decode(data);
  } catch (err) {
    throw new MalformedResultError(`${subject}: not a trial result (${data.length} bytes)`, { cause: err });
  }
  if (!r.trialId || !r.sweepId) throw new MalformedResultError(`${subject}: result without trial_id or sweep_id`);
  if (resultSubject(r.sweepId, r.trialId) !== subject) throw new MalformedResultError(`${subject}: holds a result of trial ${r.trialId.slice(0, 80)} of sweep ${r.sweepId.slice(0, 80)}`);
  if (r.status !== TrialStatus.TRIAL_STATUS_OK && r.status !== TrialStatus.TRIAL_STATUS_FAILED && r.status !== TrialStatus.TRIAL_STATUS_PRUNED) throw new MalformedResultError(`${subject}: result with status ${String(r.status)}`);
  if (!(r.finishedAtMs > 0)) throw new MalformedResultError(`${subject}: result without a finish time (cut short?)`);
  return r;
}

/**
 * The shard stored on `subject`: the bytes decode, carry a shard id and name the sweep of the
 * subject they were published on, with at least one attempt allowed. Anything else:
 * MalformedShardError.
 */
export function decodeShardOn(subject: string, data: Uint8Array): Shard {
  let s: Shard;
  try {
    s = Shard.decode(data);
  } catch (err) {
    throw new MalformedShardError(`${subject}: not a shard (${data.length} bytes)`, { cause: err });
  }
  if (!s.id || !s.sweepId) throw new MalformedShardError(`${subject}: shard without id or sweep_id`);
  if (shardSubject(s.sweepId) !== subject) throw new MalformedShardError(`${subject}: holds shard ${s.id.slice(0, 80)} of sweep ${s.sweepId.slice(0, 80)}`);
  if (!(s.maxAttempts >= 1)) throw new MalformedShardError(`${subject}: shard ${s.id.slice(0, 80)} allows ${s.maxAttempts} attempts`);
  return s;
}
