import test from 'ava';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, DiscardPolicy, JetStreamApiError } from '@nats-io/jetstream';
import { isAlreadyRecorded, isNotFound, isTransient, jsApiCode, type NatsServer } from '../common/index.js';
import { startNats, uniqueName } from './helpers/cluster.js';

let nats: NatsServer;
let nc: NatsConnection;

test.before(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
});

test.after.always(async () => {
  await nc?.close();
  await nats?.stop();
});

test('a second message on a one-message subject is recognised as already recorded, by type and code, from a real nats-server', async (t) => {
  const name = uniqueName('ONCE').toUpperCase().replace(/-/g, '_');
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects: [`${name}.>`], max_msgs_per_subject: 1, discard: DiscardPolicy.New, discard_new_per_subject: true });
  const js = jetstream(nc);
  await js.publish(`${name}.t1`, new Uint8Array([1]), { msgID: 'a' });
  // Another message id, as after the de-duplication window: the store itself refuses it.
  const err = await t.throwsAsync(js.publish(`${name}.t1`, new Uint8Array([2]), { msgID: 'b' }));
  t.true(err instanceof JetStreamApiError);
  t.is(jsApiCode(err), 10077);
  t.true(isAlreadyRecorded(err));
  t.false(isNotFound(err));
  t.false(isTransient(err));
  // Same message id inside the window: JetStream acknowledges it as a duplicate, no error.
  const dup = await js.publish(`${name}.t1`, new Uint8Array([1]), { msgID: 'a' });
  t.true(dup.duplicate);
});

test('missing streams, consumers and messages are "not found"; other errors are not', async (t) => {
  const jsm = await jetstreamManager(nc);
  t.true(isNotFound(await t.throwsAsync(jsm.streams.info('NO_SUCH_STREAM'))));
  const name = uniqueName('S').toUpperCase().replace(/-/g, '_');
  await jsm.streams.add({ name, subjects: [`${name}.>`] });
  t.true(isNotFound(await t.throwsAsync(jsm.consumers.info(name, 'no-such-consumer'))));
  t.true(isNotFound(await t.throwsAsync(jsm.consumers.delete(name, 'no-such-consumer'))));
  t.true(isNotFound(await t.throwsAsync(jsm.streams.delete('NO_SUCH_STREAM'))));
  t.false(isNotFound(new Error('stream not found')), 'a plain Error is never taken for a JetStream answer');
  t.false(isAlreadyRecorded(new Error('maximum messages per subject exceeded')));
});

test('a full store (same code 10077, another description) is not taken for "already recorded"', (t) => {
  const full = new JetStreamApiError({ code: 503, err_code: 10077, description: 'maximum bytes exceeded' });
  t.false(isAlreadyRecorded(full));
  const dupe = new JetStreamApiError({ code: 503, err_code: 10077, description: 'maximum messages per subject exceeded' });
  t.true(isAlreadyRecorded(dupe));
  t.false(isTransient(full), 'a refused store is not retried by waiting');
  t.false(isTransient(dupe));
  t.true(isTransient(new JetStreamApiError({ code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' })));
});
