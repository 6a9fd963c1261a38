import { z } from 'zod';
import { SHARDS_STREAM } from '../../proto/index.js';

/** JetStream's advisory, on core NATS, that a shard message reached its consumer's max_deliver. */
export const EXHAUSTED_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SHARDS_STREAM}.*`;

/** The part of the advisory (io.nats.jetstream.advisory.v1.max_deliver) the coordinator reads. */
const maxDeliverAdvisory = z.object({
  stream: z.literal(SHARDS_STREAM).optional(),
  consumer: z.string().optional(),
  stream_seq: z.number().int().positive(),
  deliveries: z.number().int().positive().optional(),
});

/** A max-deliveries advisory that is not JSON or lacks a usable stream sequence. */
export class MalformedAdvisoryError extends Error {
  override name = 'MalformedAdvisoryError';
}

/**
 * What a max-deliveries advisory claims: the shard at `seq` was delivered `deliveries` times by
 * `consumer` (the last token of its subject). Only a claim: anyone allowed to publish on the
 * subject can make it, so the coordinator checks it against JetStream (ExhaustedShards).
 */
export interface ExhaustedClaim {
  seq: number;
  consumer: string;
  deliveries: number | undefined;
}

/** The claim of a max-deliveries advisory received on `subject`; throws MalformedAdvisoryError. */
export function exhaustedClaim(subject: string, data: Uint8Array): ExhaustedClaim {
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
  const consumer = subject.split('.').at(-1) ?? '';
  if (parsed.data.consumer !== undefined && parsed.data.consumer !== consumer) {
    throw new MalformedAdvisoryError(`max-deliveries advisory: consumer ${JSON.stringify(parsed.data.consumer.slice(0, 80))} on the subject of consumer ${JSON.stringify(consumer.slice(0, 80))}`);
  }
  return { seq: parsed.data.stream_seq, consumer, deliveries: parsed.data.deliveries };
}
