import test from 'ava';
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { NatsServer } from '../common/index.js';
import { SweepServiceClient, SweepState, TrialStatus, type GetResponse } from '../proto/index.js';
import { spawnCli, spawnWorker, startNats, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { reportFault } from './helpers/reliability.js';
import { storedResultCount } from './helpers/streams.js';

let nats: NatsServer;
const procs: CliProcess[] = [];

test.before(async () => {
  nats = await startNats();
});

test.after.always(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  await nats?.stop();
});

async function startCoordinator(grpc = '127.0.0.1:0'): Promise<{ proc: CliProcess; client: SweepServiceClient; address: string }> {
  const proc = spawnCli(['coordinator', '--nats', nats.url, '--grpc', grpc, '--metrics', 'none', '--ack-wait', '3000']);
  procs.push(proc);
  const m = await proc.waitFor(/grpc=(\S+)/);
  return { proc, client: new SweepServiceClient(m[1]!, credentials.createInsecure()), address: m[1]! };
}

function get(client: SweepServiceClient, sweepId: string): Promise<GetResponse> {
  return new Promise((resolve, reject) => client.get({ sweepId }, new Metadata(), { deadline: Date.now() + 5_000 }, (e: ServiceError | null, r: GetResponse) => (e ? reject(e) : resolve(r))));
}

test('the coordinator killed mid-sweep and restarted rebuilds the sweep from JetStream, which completes exactly once', async (t) => {
  let { proc, client, address } = await startCoordinator();
  const sweepId = await new Promise<string>((resolve, reject) =>
    client.submit(
      { specYaml: `name: ${uniqueName('restart')}\nmethod: sleep\nparams: { duration_ms: 250 }\ngrid: { x: { linspace: [0, 1, 60] } }\nobjectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]\n` },
      (e, r) => (e ? reject(e) : resolve(r.sweepId)),
    ),
  );
  // A Watch client (the CLI) follows the sweep across the restart.
  const watcher = spawnCli(['watch', sweepId, '--coordinator', address, '--json', '--replay']);
  procs.push(watcher);
  // Workers start only once the watcher is following, so the kill below lands mid-sweep however
  // slowly the watcher process started.
  await watcher.waitFor(/"progress"/);
  procs.push(await spawnWorker(nats.url, ['--slots', '3']), await spawnWorker(nats.url, ['--slots', '3']));
  await eventually(async () => ((await get(client, sweepId)).progress?.ok ?? 0) >= 10, 30_000, 'progress before the kill');
  await watcher.waitFor(/"result"/);
  const before = (await get(client, sweepId)).progress;
  t.true((before?.ok ?? 0) < 60, `the kill must land mid-sweep (ok=${before?.ok})`);
  client.close();
  await proc.kill('SIGKILL');
  // Results keep arriving in JetStream meanwhile (unless all 60 are stored already): the restarted
  // coordinator must pick up results it never saw.
  const storedAtKill = await storedResultCount(nats.url, sweepId);
  await eventually(async () => {
    const stored = await storedResultCount(nats.url, sweepId);
    return stored > storedAtKill || stored === 60;
  }, 30_000, 'a result stored while the coordinator is down');
  ({ proc, client } = await startCoordinator(address)); // same address: the watcher reconnects
  const done = await eventually(async () => {
    const g = await get(client, sweepId);
    return g.progress?.state === SweepState.SWEEP_STATE_COMPLETED ? g : undefined;
  }, 60_000, 'the sweep to complete after the restart');
  t.is(done.progress?.ok, 60);
  t.is(done.progress?.failed, 0);
  const ids = await new Promise<string[]>((resolve, reject) => {
    const out: string[] = [];
    const s = client.results({ sweepId });
    s.on('data', (r: { result?: { trialId: string; status: TrialStatus } }) => r.result && out.push(r.result.trialId));
    s.on('error', reject);
    s.on('end', () => resolve(out));
  });
  t.is(ids.length, 60);
  t.is(new Set(ids).size, 60);
  reportFault('coordinator SIGKILL mid-sweep, restarted', 60, ids.length, new Set(ids).size);

  const exit = await Promise.race([watcher.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
  t.deepEqual(exit, { code: 0, signal: null }, watcher.output.slice(-2000));
  t.regex(watcher.output, /reconnecting/);
  const lines = watcher.output.split('\n').filter((l) => l.startsWith('{'));
  const watched = lines.map((l) => JSON.parse(l) as { result?: { trial_id: string }; progress?: { state: string } });
  const watchedIds = watched.flatMap((e) => (e.result ? [e.result.trial_id] : []));
  t.is(watchedIds.length, 60, 'the watcher saw every result once, across the restart');
  t.is(new Set(watchedIds).size, 60);
  t.is(watched.at(-1)?.progress?.state, 'completed');
  client.close();
});
