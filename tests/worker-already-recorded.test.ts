import test from 'ava';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Dispatcher } from '../coordinator/queue/dispatcher.js';
import { SHARDS_STREAM, Shard, SweepState, TrialResult, TrialStatus, resultSubject, sweepConsumerName } from '../proto/index.js';
import { eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';
import { storedResultCount } from './helpers/streams.js';

let nc: NatsConnection;

const fixture = sweepFixture(test, {
  coordinator: { ackWaitMs: 2_000 },
  setup: async (f) => {
    nc = await connect({ servers: f.nats.url });
  },
  teardown: async () => nc?.close(),
});

/** What a worker answered for each delivery of a sweep's shards: its delivery count and the ack body (+ACK, -NAK, +TERM; +WPI left out). */
function watchAcks(sweepId: string): { acks: { delivery: number; body: string }[]; stop: () => void } {
  const acks: { delivery: number; body: string }[] = [];
  // $JS.ACK.[domain.account-hash.]<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>
  const sub = nc.subscribe('$JS.ACK.>', {
    callback: (err, msg) => {
      if (err) return;
      const tokens = msg.subject.split('.');
      const at = tokens.indexOf(SHARDS_STREAM);
      if (at < 0 || tokens[at + 1] !== sweepConsumerName(sweepId)) return;
      const body = msg.string();
      if (!body.startsWith('+WPI')) acks.push({ delivery: Number(tokens[at + 2]), body });
    },
  });
  return { acks, stop: () => sub.unsubscribe() };
}

test('a result the store already holds is not a failure: the worker gives no shard back, no trial is recorded twice, the sweep completes', async (t) => {
  const c = fixture.server.coordinator;
  // Two shards of three trials, queued while no worker runs.
  const { sweepId } = await c.submit(
    `name: ${uniqueName('recorded')}\nmethod: sleep\nparams: { duration_ms: 20 }\ngrid: { x: { linspace: [0, 1, 6] } }\nshard_size: 3\nmax_attempts: 3\nobjectives: [{ metric: score, goal: max }]\n`,
  );
  const agg = c.sweep(sweepId);
  const js = jetstream(nc);
  const queued = await new Dispatcher(js, await jetstreamManager(nc)).remaining(sweepId);
  const shards = queued.map((m) => Shard.decode(m.data));
  t.is(shards.length, 2);
  // The first and last trials of each shard already have their result, stored by an earlier
  // attempt under a message id the de-duplication window no longer remembers (here: another id).
  // The worker's publishes of those trials are then refused by the store itself: JetStream API
  // error 10077, "maximum messages per subject exceeded". (The last trial's refusal is the one
  // still in flight when the shard's results are awaited before its ack.)
  const earlier = shards.flatMap((s) => [s.trials[0]!, s.trials.at(-1)!]);
  for (const trial of earlier) {
    const result: TrialResult = {
      trialId: trial.id, sweepId, params: trial.params, seed: trial.seed, index: trial.index, status: TrialStatus.TRIAL_STATUS_OK,
      error: '', metrics: { score: 0.5 }, groupMetrics: [], attempts: 1, workerId: 'an-earlier-attempt', backend: 'none', device: '', startedAtMs: 1, finishedAtMs: 2,
    };
    await js.publish(resultSubject(sweepId, trial.id), TrialResult.encode(result).finish(), { msgID: `earlier-${trial.id}` });
  }
  const watch = watchAcks(sweepId);
  const w = await fixture.worker('--slots', '2');
  await eventually(() => agg.finished, 30_000, 'the sweep to finish');
  // The worker acks a shard once its results are stored, so an ack may follow the sweep's end.
  await eventually(() => watch.acks.length >= shards.length, 10_000, 'an answer to each delivery');
  await nc.flush();
  watch.stop();

  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  const results = c.results(sweepId);
  t.is(results.length, 6);
  t.is(new Set(results.map((r) => r.trialId)).size, 6);
  t.is(await storedResultCount(fixture.nats.url, sweepId), 6, 'one stored result per trial');
  for (const trial of earlier) t.is(agg.results.get(trial.id)?.workerId, 'an-earlier-attempt', 'the first result of a trial is the one kept');
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK && r.attempts === 1));
  // Each shard was acked on its first delivery, and none was given back (nak) or terminated.
  t.deepEqual(watch.acks.map((a) => `${a.body} on delivery ${a.delivery}`), ['+ACK on delivery 1', '+ACK on delivery 1']);
  t.notRegex(w.output, /shard given back/);
});
