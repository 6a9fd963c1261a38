import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { SWEEPS_BUCKET, SweepRecord, SweepState } from '../../proto/index.js';
import { JETSTREAM_TIMEOUT_MS, isStoreFull } from '../../common/index.js';

/** The states a stored record can be in. */
const RECORD_STATES: ReadonlySet<SweepState> = new Set([SweepState.SWEEP_STATE_RUNNING, SweepState.SWEEP_STATE_COMPLETED, SweepState.SWEEP_STATE_FAILED, SweepState.SWEEP_STATE_CANCELLED]);

/** The JetStream stream behind the sweeps bucket, and the subject of one sweep's record in it. */
const BUCKET_STREAM = `KV_${SWEEPS_BUCKET}`;
export const recordSubject = (id: string): string => `$KV.${SWEEPS_BUCKET}.${id}`;

/** Sweep records in the JetStream KV bucket: the durable state of every sweep. */
export class SweepStore {
  private constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
  ) {}

  static async open(nc: NatsConnection, jsm: JetStreamManager, replicas = 1): Promise<SweepStore> {
    const kv = await new Kvm(jetstream(nc, { timeout: JETSTREAM_TIMEOUT_MS })).create(SWEEPS_BUCKET, { history: 1, replicas });
    return new SweepStore(kv, jsm);
  }

  async put(record: SweepRecord): Promise<void> {
    await this.kv.put(record.id, SweepRecord.encode(record).finish());
  }

  async get(id: string): Promise<SweepRecord | undefined> {
    const e = await this.kv.get(id);
    if (!e || e.operation !== 'PUT' || e.value.length === 0) return undefined;
    return SweepRecord.decode(e.value);
  }

  /**
   * Whether the entry under `id` is a record of that sweep (`record`), deleted or absent
   * (`absent`), or something that is not its record (`unreadable`: garbage, another sweep's record).
   */
  async entryState(id: string): Promise<'record' | 'absent' | 'unreadable'> {
    const e = await this.kv.get(id);
    if (!e || e.operation !== 'PUT') return 'absent';
    try {
      const r = SweepRecord.decode(e.value);
      return r.id === id && RECORD_STATES.has(r.state) && r.spec !== undefined ? 'record' : 'unreadable';
    } catch {
      return 'unreadable';
    }
  }

  /**
   * Removes a sweep's record, if there is one: a delete marker, which workers watching the bucket
   * see. When JetStream has no room even for that marker, the record is purged from the bucket's
   * stream instead (nothing is written; a worker that saw the record drops the sweep once it finds
   * no consumer for it).
   */
  async delete(id: string): Promise<void> {
    const e = await this.kv.get(id);
    if (!e || e.operation !== 'PUT') return;
    try {
      await this.kv.delete(id);
    } catch (err) {
      if (!isStoreFull(err)) throw err;
      await this.jsm.streams.purge(BUCKET_STREAM, { filter: recordSubject(id) });
    }
  }

  /** Every stored sweep; a record that does not decode is reported to `onBad` and skipped. */
  async list(onBad: (key: string, err: unknown) => void): Promise<SweepRecord[]> {
    const out: SweepRecord[] = [];
    const keys: string[] = [];
    for await (const k of await this.kv.keys()) keys.push(k);
    for (const k of keys) {
      try {
        const r = await this.get(k);
        if (r) out.push(r);
      } catch (err) {
        onBad(k, err);
      }
    }
    return out;
  }
}
