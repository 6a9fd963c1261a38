import type { JetStreamClient, JetStreamManager, NextMsgRequest, SeqMsgRequest } from '@nats-io/jetstream';
import { RUNGS_STREAM, TrialEvent, rungSubject, rungsOfSweep } from '../../proto/index.js';
import { isNotFound } from '../../common/index.js';

/**
 * The rung reports of early-stopping sweeps, in the order the coordinator counted them: one
 * message per trial and rung on `fairsweep.rungs.<sweep>.<trial>` (message id `<trial>.<rung>`,
 * so a report published twice is stored once), the TrialEvent KIND_PROGRESS as it arrived. ASHA's
 * decisions are a function of this order alone, so a coordinator that restarts replays it and
 * decides as before.
 */
export class RungLog {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  /** Stores a counted report; resolves once JetStream has it (false: it was there already). */
  async append(ev: TrialEvent, rung: number): Promise<boolean> {
    const ack = await this.js.publish(rungSubject(ev.sweepId, ev.trialId), TrialEvent.encode(ev).finish(), { msgID: `${ev.trialId}.${rung}` });
    return !ack.duplicate;
  }

  /** The sweep's stored reports, oldest first; one that does not decode is passed to `malformed`. */
  async read(sweepId: string, malformed: (seq: number, err: unknown) => void): Promise<TrialEvent[]> {
    const out: TrialEvent[] = [];
    let seq = 0;
    for (;;) {
      const query: NextMsgRequest & SeqMsgRequest = { seq, next_by_subj: rungsOfSweep(sweepId) };
      const m = await this.jsm.streams.getMessage(RUNGS_STREAM, query).catch((err: unknown) => {
        if (isNotFound(err)) return null;
        throw err;
      });
      if (!m) return out;
      seq = m.seq + 1;
      try {
        const ev = TrialEvent.decode(m.data);
        if (ev.sweepId !== sweepId || rungSubject(sweepId, ev.trialId) !== m.subject) throw new Error(`a rung report of trial ${ev.trialId} of sweep ${ev.sweepId} on ${m.subject}`);
        out.push(ev);
      } catch (err) {
        malformed(m.seq, err);
      }
    }
  }

  /** Removes a finished sweep's reports. */
  async remove(sweepId: string): Promise<void> {
    await this.jsm.streams.purge(RUNGS_STREAM, { filter: rungsOfSweep(sweepId) });
  }
}
