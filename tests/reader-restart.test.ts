/**
 * A reader that closes (here: nats-server revokes a subscription when its permissions are reloaded)
 * is subscribed again with a back-off, and the gRPC health service says NOT_SERVING until it is back.
 */
import test from 'ava';
import { setTimeout as delay } from 'node:timers/promises';
import { CANCEL_SUBJECTS, EVENTS_SUBJECTS, SweepState, TrialStatus } from '../proto/index.js';
import { eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';
import { healthStatus } from './helpers/health.js';
import { RecordingLogger } from './helpers/recording-logger.js';

/** Users of the coordinator and the worker, denied subscriptions to `deny`. */
const permissions = (deny: readonly string[]): string => `
authorization {
  users: [
    { user: coord, password: coord, permissions: { subscribe: { allow: ">", deny: ${JSON.stringify(deny)} } } }
    { user: work, password: work, permissions: { subscribe: { allow: ">", deny: ${JSON.stringify(deny)} } } }
  ]
}
`;
const NOTHING_DENIED = ['fairsweep.nothing'];

let worker: CliProcess;
const log = new RecordingLogger();

const fixture = sweepFixture(test, {
  natsConfig: permissions(NOTHING_DENIED),
  coordinator: { nats: { user: 'coord', pass: 'coord' }, metrics: '127.0.0.1:0', log },
  setup: async (f) => {
    worker = await f.worker('--nats-user', 'work', '--nats-password', 'work', '--slots', '2', '--metrics', '127.0.0.1:0');
  },
});

/** GET /healthz on a metrics port: SERVING for 200, NOT_SERVING for 503. */
async function healthz(port: number | string | undefined): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  await res.text();
  return res.status === 200 ? 'SERVING' : res.status === 503 ? 'NOT_SERVING' : `HTTP ${res.status}`;
}

test('a revoked subscription: NOT_SERVING while it is down, subscribed again with a back-off, SERVING once it is back', async (t) => {
  const coordinator = `127.0.0.1:${fixture.server.grpcPort}`;
  const workerAddress = `127.0.0.1:${(await worker.waitFor(/grpc=(\d+)/))[1]}`;
  const workerMetrics = (await worker.waitFor(/metrics=(\d+)/))[1];
  const statuses = async (): Promise<string[]> =>
    Promise.all([
      healthStatus(coordinator),
      healthStatus(coordinator, 'fairsweep.v1.SweepService'),
      healthz(fixture.server.metricsPort),
      healthStatus(workerAddress),
      healthStatus(workerAddress, 'fairsweep.v1.WorkerService'),
      healthz(workerMetrics),
    ]);
  await eventually(async () => (await statuses()).every((s) => s === 'SERVING'), 10_000, 'both serving');

  // The coordinator loses its trial-events subscription, the worker its cancel subscription.
  await fixture.nats.reload(permissions([EVENTS_SUBJECTS, CANCEL_SUBJECTS]));
  await eventually(async () => (await statuses()).every((s) => s === 'NOT_SERVING'), 10_000, 'both not serving');
  const closedAt = log.lines.findIndex((l) => l.msg === 'reader closed; starting it again' && l.fields.reader === 'events');
  t.true(closedAt >= 0, 'the coordinator logged its events reader closing');
  // Kept down for a while: the reader tries again, ever less often.
  await delay(3_000);
  const tries = log.lines.filter((l) => l.msg === 'reader closed; starting it again' && l.fields.reader === 'events');
  t.true(tries.length >= 3 && tries.length <= 8, `${tries.length} attempts in about 3 s`);
  const waits = tries.map((l) => Number(l.fields.in_ms));
  t.true(waits.every((w, i) => i === 0 || w >= (waits[i - 1] ?? 0)) && (waits.at(-1) ?? 0) > (waits[0] ?? 0), `back-off: ${waits.join(', ')} ms`);
  t.is((await statuses()).filter((s) => s === 'SERVING').length, 0, 'still not serving while the subscription is refused');

  // Allowed again: both subscribe again and serve.
  await fixture.nats.reload(permissions(NOTHING_DENIED));
  await eventually(async () => (await statuses()).every((s) => s === 'SERVING'), 20_000, 'both serving again');
  t.true(log.lines.some((l) => l.msg === 'reader back' && l.fields.reader === 'events'));
  // The coordinator hears trial events again (a trial shows as running), and a sweep completes.
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(`name: ${uniqueName('after')}\nmethod: sleep\nparams: { duration_ms: 300 }\ngrid: { x: { linspace: [0, 1, 4] } }\nobjectives: [{ metric: score, goal: max }]\n`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size > 0, 30_000, 'a started event received');
  await eventually(() => agg.finished, 30_000, 'the sweep to finish');
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  t.true(c.results(sweepId).every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  t.is(worker.proc.exitCode, null, 'the worker is still running');
});
