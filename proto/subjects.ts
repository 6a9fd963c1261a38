/** NATS names shared by the coordinator and the workers. */
export const SHARDS_STREAM = 'FAIRSWEEP_SHARDS';
export const RESULTS_STREAM = 'FAIRSWEEP_RESULTS';
export const SWEEPS_BUCKET = 'fairsweep-sweeps';

export const shardSubject = (sweepId: string): string => `fairsweep.shards.${sweepId}`;
export const SHARDS_SUBJECTS = 'fairsweep.shards.>';

export const resultSubject = (sweepId: string, trialId: string): string =>
  `fairsweep.results.${sweepId}.${trialId}`;
export const resultsOfSweep = (sweepId: string): string => `fairsweep.results.${sweepId}.>`;
export const RESULTS_SUBJECTS = 'fairsweep.results.>';

/** Core NATS (not persisted): trial started/retrying events. */
export const eventSubject = (sweepId: string): string => `fairsweep.events.${sweepId}`;
export const EVENTS_SUBJECTS = 'fairsweep.events.*';
/** Core NATS: sweep cancelled. */
export const cancelSubject = (sweepId: string): string => `fairsweep.control.cancel.${sweepId}`;
export const CANCEL_SUBJECTS = 'fairsweep.control.cancel.*';
/**
 * Core NATS: the coordinator stopped a trial early (its pruned result is recorded); the payload is
 * the trial id. A worker running that trial aborts it once the results stream confirms the result.
 */
export const stopTrialSubject = (sweepId: string): string => `fairsweep.control.stop.${sweepId}`;
export const STOP_TRIAL_SUBJECTS = 'fairsweep.control.stop.*';
/**
 * The rung reports an early-stopping sweep's decisions were made from, one message per trial and
 * rung (message id `<trial id>.<rung>`), in the order they were counted: the coordinator replays
 * them after a restart so that its decisions stay the same.
 */
export const RUNGS_STREAM = 'FAIRSWEEP_RUNGS';
export const rungSubject = (sweepId: string, trialId: string): string => `fairsweep.rungs.${sweepId}.${trialId}`;
export const rungsOfSweep = (sweepId: string): string => `fairsweep.rungs.${sweepId}.>`;
export const RUNGS_SUBJECTS = 'fairsweep.rungs.>';
/** Core NATS: worker heartbeats carrying WorkerInfo. */
export const WORKER_HEARTBEAT_SUBJECT = 'fairsweep.workers.heartbeat';

/** Durable consumer of one sweep's shards; its max_deliver is the sweep's max_attempts. */
export const sweepConsumerName = (sweepId: string): string => `sweep-${sweepId}`;

/** Sweep ids and trial ids are NATS-token-safe: lowercase letters, digits and '-'. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,127}$/;

/** JetStream object store bucket of one sweep's artifacts (command trials' logs, predictions, output files). */
export const ARTIFACTS_BUCKET_PREFIX = 'fairsweep-artifacts-';
export const artifactsBucket = (sweepId: string): string => `${ARTIFACTS_BUCKET_PREFIX}${sweepId}`;
/**
 * The description of a sweep's artifacts bucket, which carries the sweep's cap (`artifacts_mb`) for
 * the workers: a stream's max_bytes would reserve that much of the server's store for every sweep
 * ever run, so the cap is enforced by the workers instead.
 */
export const artifactsBucketDescription = (sweepId: string, capBytes: number): string => `fairsweep artifacts of sweep ${sweepId} (cap ${capBytes} bytes)`;
/** The cap an artifacts bucket's description carries, or undefined. */
export function artifactsCapOf(description: string | undefined): number | undefined {
  const m = /\(cap (\d+) bytes\)/.exec(description ?? '');
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
/** Name of an artifact in its sweep's bucket: `<trial id>/<file>` (`log.txt`, `output/...`). */
export const artifactName = (trialId: string, file: string): string => `${trialId}/${file}`;
