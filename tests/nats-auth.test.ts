import test from 'ava';
import { connect } from '@nats-io/transport-node';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { TrialStatus } from '../proto/index.js';
import { createLogger } from '../common/index.js';
import { spawnCli, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';

const USER = 'fairsweep';
const PASSWORD = 'pw-Zq81xT-secret';
const TOKEN = 'tok-9f3e7c-secret';

let nats: NatsServer;
let server: CoordinatorServer;
const logs: string[] = [];
const workers: CliProcess[] = [];

test.before(async () => {
  nats = await NatsServer.start({ config: `authorization { users = [ { user: "${USER}", password: "${PASSWORD}" } ] }` });
  server = await CoordinatorServer.start({
    nats: { servers: nats.url, user: USER, pass: PASSWORD },
    grpc: '127.0.0.1:0',
    metrics: '127.0.0.1:0',
    log: createLogger({}, 'debug', (line) => logs.push(line)),
  });
});

test.after.always(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await server?.close();
  await nats?.stop();
});

test.serial('a client without credentials, or with wrong ones, is refused', async (t) => {
  await t.throwsAsync(connect({ servers: nats.url, maxReconnectAttempts: 0, reconnect: false }), { message: /Authorization|authorization/i });
  await t.throwsAsync(connect({ servers: nats.url, user: USER, pass: 'wrong', reconnect: false }), { message: /Authorization|authorization/i });
  const w = spawnCli(['worker', '--nats', nats.url, '--backend', 'none']);
  const exit = await w.exited;
  t.not(exit.code, 0, 'a worker without credentials does not start');
  t.regex(w.output, /fairsweep: error: .*[Aa]uthorization/);
});

test.serial('with credentials from the environment, a sweep completes and no secret reaches logs, results or metrics', async (t) => {
  const env = { FAIRSWEEP_NATS_USER: USER, FAIRSWEEP_NATS_PASSWORD: PASSWORD, FAIRSWEEP_LOG_LEVEL: 'debug' };
  const w = spawnCli(['worker', '--nats', nats.url, '--backend', 'none', '--slots', '2', '--metrics', '127.0.0.1:0'], env);
  workers.push(w);
  const port = (await w.waitFor(/metrics=(\d+)/))[1];
  const c = server.coordinator;
  const { sweepId } = await c.submit(`name: ${uniqueName('auth')}\nmethod: sleep\nparams: { duration_ms: 10 }\ngrid: { x: [1, 2, 3, 4] }\nobjectives: [{ metric: score, goal: max }]\n`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.finished, 30_000, 'sweep to finish');
  t.true(c.results(sweepId).every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  const metrics = (await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text()) + (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  const everything = [logs.join(''), w.output, JSON.stringify(c.results(sweepId)), JSON.stringify(c.get(sweepId)), metrics].join('\n');
  t.true(logs.length > 0 && w.output.length > 0, 'logs were captured');
  t.false(everything.includes(PASSWORD), 'password leaked');
});

test.serial('token authentication', async (t) => {
  const tokenNats = await NatsServer.start({ config: `authorization { token: "${TOKEN}" }` });
  try {
    await t.throwsAsync(connect({ servers: tokenNats.url, reconnect: false }));
    const s = await CoordinatorServer.start({ nats: { servers: tokenNats.url, token: TOKEN }, grpc: '127.0.0.1:0', metrics: null });
    t.is(s.coordinator.listSweeps().length, 0);
    await s.close();
  } finally {
    await tokenNats.stop();
  }
});
