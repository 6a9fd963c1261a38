import {
  CANCEL_SUBJECTS,
  EVENTS_SUBJECTS,
  RESULTS_STREAM,
  RESULTS_SUBJECTS,
  RUNGS_STREAM,
  RUNGS_SUBJECTS,
  SHARDS_STREAM,
  STOP_TRIAL_SUBJECTS,
  SHARDS_SUBJECTS,
  SWEEPS_BUCKET,
  WORKER_HEARTBEAT_SUBJECT,
} from '../proto/index.js';

/**
 * Who connects to NATS, and what each may publish and subscribe to: the one table that
 * `fairsweep credentials` turns into nats-server users and that the tests check against a real
 * server. Everything not allowed is refused by the server (an allow list denies the rest).
 *
 * - coordinator: creates the streams, the sweeps bucket and each sweep's consumer; publishes shards,
 *   cancellations, the failed results of exhausted shards, and the pruned results and stop
 *   messages of early stopping (with its rung reports); reads results, events, heartbeats and
 *   JetStream's max-deliveries advisories. It never deletes a stream.
 * - worker: pulls and acks shards, publishes results, trial events and heartbeats, follows the sweeps
 *   bucket and hears cancellations. It cannot cancel, publish shards, write sweep records, forge
 *   advisories, or create, change or delete streams. It writes artifacts into the buckets the
 *   coordinator made.
 * - client: a read-only observer (dashboards, scripts): sweep records, stored results, events,
 *   heartbeats and artifacts (`fairsweep artifacts`, with ordered consumers on the artifacts
 *   buckets). It publishes nothing fairsweep reads. Sweeps are submitted through the coordinator's
 *   gRPC API, not through NATS.
 * - local: coordinator and worker in one identity, for `fairsweep run --nats URL`, which hands its
 *   own credentials to the workers it starts.
 */
export const NATS_ROLES = ['coordinator', 'worker', 'client', 'local'] as const;
export type NatsRole = (typeof NATS_ROLES)[number];

export function isNatsRole(value: string): value is NatsRole {
  return (NATS_ROLES as readonly string[]).includes(value);
}

/** One subject (wildcards allowed) a role may use, and why it needs it. */
export interface Grant {
  subject: string;
  why: string;
}

export interface RolePermissions {
  publish: readonly Grant[];
  subscribe: readonly Grant[];
}

/** The JetStream stream behind the sweeps KV bucket. */
export const SWEEPS_STREAM = `KV_${SWEEPS_BUCKET}`;
const KV_SUBJECTS = `$KV.${SWEEPS_BUCKET}.>`;
/** JetStream's advisory that a shard reached its consumer's max_deliver (published by the server only). */
const MAX_DELIVERIES_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SHARDS_STREAM}.*`;
/** Replies to JetStream API requests, publish acks and push-consumer deliveries. */
const INBOX = '_INBOX.>';

const api = (rest: string): string => `$JS.API.${rest}`;

const ACCOUNT_INFO: Grant = { subject: api('INFO'), why: 'JetStream account check when the JetStream manager is created' };
const inbox: Grant = { subject: INBOX, why: 'replies: JetStream API responses, publish acks, consumer deliveries' };

/** Reading the sweeps bucket with ordered push consumers (KV watch and keys), as @nats-io/kv does. */
const watchSweeps = (who: string): Grant[] => [
  { subject: api(`STREAM.INFO.${SWEEPS_STREAM}`), why: `${who} opens the sweeps bucket` },
  { subject: api(`CONSUMER.CREATE.${SWEEPS_STREAM}.*.${KV_SUBJECTS}`), why: `${who} watches or lists the sweeps bucket (ordered consumer over the whole bucket)` },
  { subject: api(`CONSUMER.INFO.${SWEEPS_STREAM}.*`), why: 'ordered consumer checks' },
  { subject: `$JS.FC.${SWEEPS_STREAM}.>`, why: 'flow-control replies of the ordered push consumer' },
];

/**
 * Sweep artifacts: one JetStream object store bucket per sweep (`OBJ_fairsweep-artifacts-<sweep>`,
 * subjects `$O.<bucket>.C.>` for chunks and `$O.<bucket>.M.>` for metadata). A NATS permission
 * cannot match part of a token, so these grants name every stream and bucket (`*`): they are
 * read-only (stream info, direct get: artifacts are read without any consumer) or object-store
 * subjects (`$O.`), never a consumer, purge or delete (docs/command-trials.md says what remains). Removing a bucket (`fairsweep artifacts --delete`) takes a user allowed to delete
 * streams, which no role here is.
 */
const OBJECT_SUBJECTS = '$O.*.>';
const openObjectStore = (who: string): Grant[] => [
  { subject: api('STREAM.INFO.*'), why: `${who} opens a sweep's artifacts bucket (stream info)` },
  { subject: api('DIRECT.GET.*'), why: 'object metadata (direct get, request form)' },
  { subject: api('DIRECT.GET.*.>'), why: 'object metadata (direct get of the last message of a subject)' },
  { subject: api('STREAM.MSG.GET.*'), why: 'object metadata (message get, when the bucket is opened without stream info)' },
];

const readSweepRecord: Grant[] = [
  { subject: api(`DIRECT.GET.${SWEEPS_STREAM}`), why: 'KV get (direct get, request form)' },
  { subject: api(`DIRECT.GET.${SWEEPS_STREAM}.>`), why: 'KV get (direct get of the last message of a key)' },
  { subject: api(`STREAM.MSG.GET.${SWEEPS_STREAM}`), why: 'KV get on a bucket without direct get' },
];

const COORDINATOR: RolePermissions = {
  publish: [
    ACCOUNT_INFO,
    ...[SHARDS_STREAM, RESULTS_STREAM, SWEEPS_STREAM, RUNGS_STREAM].flatMap((s) => [
      { subject: api(`STREAM.INFO.${s}`), why: `stream ${s} exists?` },
      { subject: api(`STREAM.CREATE.${s}`), why: `creates stream ${s}` },
      { subject: api(`STREAM.UPDATE.${s}`), why: `brings stream ${s} to the current configuration` },
    ]),
    { subject: api(`STREAM.PURGE.${SHARDS_STREAM}`), why: 'removes the queued shards of a finished or cancelled sweep' },
    { subject: api(`STREAM.PURGE.${SWEEPS_STREAM}`), why: "removes a sweep's record when a full store has no room for a delete marker" },
    { subject: api(`STREAM.MSG.GET.${SHARDS_STREAM}`), why: 'reads exhausted and remaining shards' },
    { subject: api(`STREAM.MSG.DELETE.${SHARDS_STREAM}`), why: 'deletes an exhausted shard once its trials are recorded failed' },
    { subject: api(`CONSUMER.CREATE.${SHARDS_STREAM}.>`), why: "creates each sweep's durable shard consumer" },
    { subject: api(`CONSUMER.INFO.${SHARDS_STREAM}.*`), why: 'queue depth of a sweep' },
    { subject: api(`CONSUMER.DELETE.${SHARDS_STREAM}.*`), why: "deletes a finished sweep's consumer" },
    { subject: api(`CONSUMER.CREATE.${RESULTS_STREAM}.>`), why: 'reads the results stream (ordered consumer)' },
    { subject: api(`CONSUMER.INFO.${RESULTS_STREAM}.*`), why: 'ordered consumer checks' },
    { subject: api(`CONSUMER.DELETE.${RESULTS_STREAM}.*`), why: 'ordered consumer reset' },
    { subject: api(`CONSUMER.MSG.NEXT.${RESULTS_STREAM}.*`), why: 'pulls results' },
    { subject: api(`STREAM.MSG.GET.${RESULTS_STREAM}`), why: 'reads a stored message that is not a result of its trial subject' },
    { subject: api(`STREAM.MSG.DELETE.${RESULTS_STREAM}`), why: 'deletes a message that is not a result, so the real result can be recorded' },
    ...watchSweeps('the coordinator'),
    ...readSweepRecord,
    { subject: KV_SUBJECTS, why: 'writes sweep records' },
    { subject: SHARDS_SUBJECTS, why: 'publishes shards' },
    { subject: RESULTS_SUBJECTS, why: 'records the trials of an exhausted shard as failed' },
    { subject: CANCEL_SUBJECTS, why: 'tells workers a sweep was cancelled' },
    { subject: STOP_TRIAL_SUBJECTS, why: 'tells workers a trial was stopped early (early_stop)' },
    { subject: RUNGS_SUBJECTS, why: "stores early stopping's rung reports" },
    { subject: api(`STREAM.MSG.GET.${RUNGS_STREAM}`), why: "replays a sweep's rung reports after a restart" },
    { subject: api(`STREAM.PURGE.${RUNGS_STREAM}`), why: "removes a finished sweep's rung reports" },
    ...openObjectStore('the coordinator'),
    { subject: api('STREAM.CREATE.*'), why: "creates a command sweep's artifacts bucket at submit" },
  ],
  subscribe: [
    inbox,
    { subject: EVENTS_SUBJECTS, why: 'trial started / retrying events' },
    { subject: WORKER_HEARTBEAT_SUBJECT, why: 'worker registry' },
    { subject: MAX_DELIVERIES_ADVISORY, why: 'shards that ran out of delivery attempts' },
  ],
};

const WORKER: RolePermissions = {
  publish: [
    ACCOUNT_INFO,
    { subject: api(`CONSUMER.INFO.${SHARDS_STREAM}.*`), why: "looks up a sweep's shard consumer" },
    { subject: api(`CONSUMER.MSG.NEXT.${SHARDS_STREAM}.*`), why: 'fetches shards' },
    { subject: `$JS.ACK.${SHARDS_STREAM}.>`, why: 'acks, naks, terminates shards and extends their deadline (+WPI)' },
    { subject: api(`STREAM.MSG.GET.${RESULTS_STREAM}`), why: 'skips trials already recorded when a shard comes back' },
    ...watchSweeps('the worker'),
    ...readSweepRecord, // a cancel message is checked against the sweep's record
    { subject: RESULTS_SUBJECTS, why: 'publishes trial results' },
    { subject: EVENTS_SUBJECTS, why: 'trial started / retrying events' },
    { subject: WORKER_HEARTBEAT_SUBJECT, why: 'heartbeats' },
    ...openObjectStore('the worker'),
    { subject: OBJECT_SUBJECTS, why: "stores command trials' artifacts (chunks and metadata)" },
  ],
  subscribe: [inbox, { subject: CANCEL_SUBJECTS, why: 'sweep cancellations' }, { subject: STOP_TRIAL_SUBJECTS, why: 'trials stopped early (early_stop)' }],
};

const CLIENT: RolePermissions = {
  publish: [
    ACCOUNT_INFO,
    { subject: api(`STREAM.INFO.${SWEEPS_STREAM}`), why: 'opens the sweeps bucket' },
    ...readSweepRecord,
    { subject: api(`STREAM.INFO.${RESULTS_STREAM}`), why: 'how many results are stored' },
    { subject: api(`STREAM.MSG.GET.${RESULTS_STREAM}`), why: 'reads stored results (by sequence or by trial subject)' },
    ...openObjectStore('fairsweep artifacts'),
  ],
  subscribe: [
    inbox,
    { subject: EVENTS_SUBJECTS, why: 'trial started / retrying events' },
    { subject: WORKER_HEARTBEAT_SUBJECT, why: 'worker heartbeats' },
  ],
};

/** The grants of `roles` together, each subject once. */
function union(...roles: RolePermissions[]): RolePermissions {
  const merge = (grants: readonly Grant[]): Grant[] => [...new Map(grants.map((g) => [g.subject, g])).values()];
  return { publish: merge(roles.flatMap((r) => r.publish)), subscribe: merge(roles.flatMap((r) => r.subscribe)) };
}

export const ROLE_PERMISSIONS: Readonly<Record<NatsRole, RolePermissions>> = {
  coordinator: union(COORDINATOR),
  worker: union(WORKER),
  client: union(CLIENT),
  local: union(COORDINATOR, WORKER),
};

/** The NATS user name of a role. */
export const natsUserName = (role: NatsRole): string => `fairsweep-${role}`;

/**
 * Whether NATS subject `subject` (literal tokens; a '*' or '>' token in it is taken literally, as
 * in JetStream API subjects that carry a filter) is matched by `pattern`, as nats-server matches
 * a permission.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}

/** Whether `role` may publish (or subscribe to) `subject` according to the table. */
export function allows(role: NatsRole, operation: 'publish' | 'subscribe', subject: string): boolean {
  return ROLE_PERMISSIONS[role][operation].some((g) => subjectMatches(g.subject, subject));
}
