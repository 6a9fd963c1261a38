import type { JetStreamClient, JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { isAlreadyRecorded, isNotFound } from './jetstream-errors.js';

/** Times a publish finds a message that does not belong on its subject before it gives up. */
export const MAX_SLOT_ATTEMPTS = 5;
/** First pause before publishing again when a message that does not belong is left for its owner to delete; it doubles each time. */
export const SLOT_WAIT_BASE_MS = 100;

/** A publish to a one-message subject kept finding a message that does not belong there. */
export class SlotOccupiedError extends Error {
  override name = 'SlotOccupiedError';
  constructor(
    readonly subject: string,
    readonly attempts: number,
  ) {
    super(`${subject}: still holds a message that does not belong there after ${attempts} attempts to publish`);
  }
}

export interface SlotPublish {
  stream: string;
  subject: string;
  data: Uint8Array;
  /** The message id JetStream de-duplicates on. */
  msgID: string;
  /** Whether a message found on the subject is a valid one of its own (then it stands). */
  belongs(stored: Uint8Array): boolean;
  /**
   * What to do with a message found there that does not belong: `delete` it (a publisher allowed
   * to delete stream messages), or `wait` for the stream's owner to delete it, then publish again.
   */
  foreign: 'delete' | 'wait';
  /** Told of each message found there that does not belong (its sequence), once per message. */
  onForeign?(seq: number): void;
}

/**
 * - `stored`: this message was stored;
 * - `kept`: the subject already held a valid message (an earlier attempt's), which stands;
 * - `replaced`: the subject held one that does not belong (garbage published there first), which
 *   was deleted (by this publisher or the stream's owner), and this message was stored.
 */
export type SlotOutcome = 'stored' | 'kept' | 'replaced';

/**
 * Publishes to a subject of a stream that keeps one message per subject and refuses a second
 * (`max_msgs_per_subject: 1` + `discard_new_per_subject`), where the first valid message must
 * stand. When the subject is refused as taken, or the publish is dropped as a duplicate of its
 * message id, the stored message is read: one that `belongs` stands; anything else is deleted
 * here (by its sequence, so a valid message stored meanwhile is never touched) or, with `foreign:
 * 'wait'`, left to the stream's owner to delete; then the publish is made again under a message id
 * the de-duplication window has not seen. Throws SlotOccupiedError when the subject keeps being
 * taken by messages that do not belong (MAX_SLOT_ATTEMPTS).
 */
export async function publishToSlot(js: JetStreamClient, jsm: JetStreamManager, p: SlotPublish): Promise<SlotOutcome> {
  let msgID = p.msgID;
  let reported = 0;
  for (let attempt = 1; ; attempt++) {
    let stored = false;
    try {
      stored = !(await js.publish(p.subject, p.data, { msgID })).duplicate;
    } catch (err) {
      if (!isAlreadyRecorded(err)) throw err;
    }
    if (stored) return attempt === 1 ? 'stored' : 'replaced';
    const held = await lastOnSubject(jsm, p.stream, p.subject);
    if (held && p.belongs(held.data)) return 'kept';
    if (held && held.seq !== reported) {
      reported = held.seq;
      p.onForeign?.(held.seq);
    }
    if (attempt >= MAX_SLOT_ATTEMPTS) throw new SlotOccupiedError(p.subject, attempt);
    if (held && p.foreign === 'delete') {
      await jsm.streams.deleteMessage(p.stream, held.seq, false).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    } else if (held) {
      await new Promise((resolve) => setTimeout(resolve, SLOT_WAIT_BASE_MS * 2 ** (attempt - 1)));
    }
    // Deterministic, so a retried publish is still de-duplicated; unlike the original id, unseen.
    msgID = `${p.msgID}.r${held?.seq ?? `x${attempt}`}`;
  }
}

/** The message stored on `subject`, or null when there is none. */
export async function lastOnSubject(jsm: JetStreamManager, stream: string, subject: string): Promise<StoredMsg | null> {
  return jsm.streams.getMessage(stream, { last_by_subj: subject }).catch((err: unknown) => {
    if (isNotFound(err)) return null;
    throw err;
  });
}
