import test from 'ava';
import { RESULTS_STREAM, SHARDS_STREAM, SWEEPS_BUCKET, WORKER_HEARTBEAT_SUBJECT, artifactsBucket, cancelSubject, eventSubject, resultSubject, shardSubject, sweepConsumerName } from '../proto/index.js';
import { NATS_ROLES, ROLE_PERMISSIONS, SWEEPS_STREAM, allows, subjectMatches } from '../cli/nats-permissions.js';

// The permission table itself; tests/nats-roles.test.ts checks it against a real nats-server.

const STREAMS = [SHARDS_STREAM, RESULTS_STREAM, SWEEPS_STREAM];
const ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SHARDS_STREAM}.${sweepConsumerName('s1')}`;

test('subjects match permissions as nats-server matches them', (t) => {
  t.true(subjectMatches('fairsweep.control.cancel.*', 'fairsweep.control.cancel.s1'));
  t.false(subjectMatches('fairsweep.control.cancel.*', 'fairsweep.control.cancel.s1.x'));
  t.true(subjectMatches('fairsweep.results.>', 'fairsweep.results.s1.t1'));
  t.false(subjectMatches('fairsweep.results.>', 'fairsweep.results'));
  t.true(subjectMatches(`$JS.API.CONSUMER.CREATE.${SWEEPS_STREAM}.*.$KV.${SWEEPS_BUCKET}.>`, `$JS.API.CONSUMER.CREATE.${SWEEPS_STREAM}.oc_1.$KV.${SWEEPS_BUCKET}.>`));
  t.false(subjectMatches(`$JS.API.CONSUMER.CREATE.${SWEEPS_STREAM}.*.$KV.${SWEEPS_BUCKET}.>`, `$JS.API.CONSUMER.CREATE.${SWEEPS_STREAM}.oc_1`));
});

test('no role may delete a stream, forge a JetStream advisory, or touch the system account', (t) => {
  for (const role of NATS_ROLES) {
    for (const s of STREAMS) t.false(allows(role, 'publish', `$JS.API.STREAM.DELETE.${s}`), `${role} deletes ${s}`);
    for (const subject of [ADVISORY, '$JS.EVENT.ADVISORY.API', '$JS.API.ACCOUNT.PURGE.$G', '$JS.API.META.LEADER.STEPDOWN', '$SYS.REQ.SERVER.PING']) t.false(allows(role, 'publish', subject), `${role} publishes ${subject}`);
  }
});

test('the worker role cannot cancel, dispatch, write sweep records, or create, change, purge or delete streams and the sweep consumers', (t) => {
  const forbidden = [
    cancelSubject('s1'),
    shardSubject('s1'),
    `$KV.${SWEEPS_BUCKET}.s1`,
    ...STREAMS.flatMap((s) => [`$JS.API.STREAM.CREATE.${s}`, `$JS.API.STREAM.UPDATE.${s}`, `$JS.API.STREAM.PURGE.${s}`, `$JS.API.STREAM.MSG.DELETE.${s}`]),
    `$JS.API.CONSUMER.CREATE.${SHARDS_STREAM}.${sweepConsumerName('s1')}`,
    `$JS.API.CONSUMER.DELETE.${SHARDS_STREAM}.${sweepConsumerName('s1')}`,
    `$JS.API.CONSUMER.CREATE.${RESULTS_STREAM}.c1`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${SWEEPS_STREAM}.c1`,
    `$JS.API.CONSUMER.CREATE.${SWEEPS_STREAM}.c1`,
  ];
  for (const subject of forbidden) t.false(allows('worker', 'publish', subject), subject);
  for (const subject of [resultSubject('s1', 't1'), eventSubject('s1'), WORKER_HEARTBEAT_SUBJECT, `$JS.ACK.${SHARDS_STREAM}.${sweepConsumerName('s1')}.1.2.3.4.5`]) t.true(allows('worker', 'publish', subject), subject);
  t.false(allows('worker', 'subscribe', ADVISORY));
});

test('the client role publishes nothing fairsweep reads and creates no consumer', (t) => {
  for (const subject of [resultSubject('s1', 't1'), shardSubject('s1'), cancelSubject('s1'), eventSubject('s1'), WORKER_HEARTBEAT_SUBJECT, `$KV.${SWEEPS_BUCKET}.s1`, `$JS.ACK.${SHARDS_STREAM}.x.1.1.1.1.0`, `$JS.FC.${SWEEPS_STREAM}.x`]) {
    t.false(allows('client', 'publish', subject), subject);
  }
  for (const s of STREAMS) t.false(allows('client', 'publish', `$JS.API.CONSUMER.CREATE.${s}.c1`), `consumer on ${s}`);
  t.false(ROLE_PERMISSIONS.client.publish.some((g) => g.subject.startsWith('fairsweep.') || g.subject.includes('CONSUMER')));
});

test('artifacts: the worker writes object store subjects, the client reads them, the coordinator creates the buckets; nobody deletes them', (t) => {
  const bucket = artifactsBucket('s1');
  const stream = `OBJ_${bucket}`;
  t.true(allows('worker', 'publish', `$O.${bucket}.C.abc`));
  t.true(allows('worker', 'publish', `$O.${bucket}.M.bmFtZQ==`));
  t.true(allows('worker', 'publish', `$JS.API.STREAM.INFO.${stream}`));
  t.false(allows('worker', 'publish', `$JS.API.STREAM.CREATE.${stream}`), 'the coordinator makes the bucket');
  t.false(allows('worker', 'publish', `$JS.API.STREAM.PURGE.${stream}`));
  t.true(allows('coordinator', 'publish', `$JS.API.STREAM.CREATE.${stream}`));
  t.true(allows('client', 'publish', `$JS.API.DIRECT.GET.${stream}`), 'the client reads artifacts by direct get');
  t.false(allows('client', 'publish', `$JS.API.CONSUMER.MSG.NEXT.${SHARDS_STREAM}.${sweepConsumerName('s1')}`), 'nor pulls shards');
  t.false(allows('client', 'publish', `$O.${bucket}.C.abc`), 'the client writes no artifact');
  for (const role of NATS_ROLES) t.false(allows(role, 'publish', `$JS.API.STREAM.DELETE.${stream}`), `${role} deletes a bucket`);
});

test('the coordinator publishes what only it may: shards, cancellations, sweep records', (t) => {
  for (const subject of [shardSubject('s1'), cancelSubject('s1'), `$KV.${SWEEPS_BUCKET}.s1`, resultSubject('s1', 't1')]) t.true(allows('coordinator', 'publish', subject), subject);
  t.true(allows('coordinator', 'subscribe', ADVISORY));
  t.false(allows('coordinator', 'subscribe', cancelSubject('s1')), 'the coordinator does not listen to cancellations');
});

test('the local role is exactly the coordinator and the worker together', (t) => {
  const subjects = (roles: readonly ('coordinator' | 'worker' | 'local')[], op: 'publish' | 'subscribe'): string[] => [...new Set(roles.flatMap((r) => ROLE_PERMISSIONS[r][op].map((g) => g.subject)))].sort();
  for (const op of ['publish', 'subscribe'] as const) t.deepEqual(subjects(['local'], op), subjects(['coordinator', 'worker'], op));
});
