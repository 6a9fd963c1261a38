import { z } from 'zod';
import { SHARDS_STREAM } from '../../proto/index.js';

/** JetStream's advisory, on core NATS, that a shard message reached its consumer's max_deliver. */
export const EXHAUSTED_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SHARDS_STREAM}.*`;

/** The part of the advisory (io.nats.jetstream.advisory.v1.max_deliver) the coordinator reads. */
const maxDeliverAdvisory = z.object({
  stream: z.literal(SHARDS_STREAM).optional(),
  stream_seq: z.number().int().positive(),
});

/** A max-deliveries advisory that is not JSON or lacks a usable stream sequence. */
export class MalformedAdvisoryError extends Error {
  override name = 'MalformedAdvisoryError';
}

/** The shard stream sequence a max-deliveries advisory names; throws MalformedAdvisoryError. */
export function exhaustedShardSeq(data: Uint8Array): number {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch (err) {
    throw new MalformedAdvisoryError(`max-deliveries advisory is not JSON (${data.length} bytes)`, { cause: err });
  }
  const parsed = maxDeliverAdvisory.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedAdvisoryError(`max-deliveries advisory: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : parsed.error.message}`);
  }
  return parsed.data.stream_seq;
}
