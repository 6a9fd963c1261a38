/**
 * A property-based fuzzer of fairsweep's NATS surface: against a real nats-server, a coordinator
 * process and a worker process, batches of random bytes, random JSON, truncated valid protobuf and
 * valid messages about the wrong sweep go out on every subject fairsweep listens on (trial events,
 * cancel, heartbeats, results, shards, the max-deliveries advisories, the sweeps bucket's keys)
 * while a sweep runs. The coordinator must keep answering, both processes keep serving, and the
 * sweep completes with every trial recorded once, by the worker, none failed.
 *
 * Reproduce a failing run with FAIRSWEEP_FUZZ_SEED=<the seed it printed>.
 */
import test from 'ava';
import fc from 'fast-check';
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Dispatcher } from '../coordinator/queue/dispatcher.js';
import { NatsServer } from '../common/index.js';
import {
  SHARDS_STREAM, SWEEPS_BUCKET, Shard, SweepRecord, SweepServiceClient, SweepState, TrialEvent, TrialResult, TrialStatus, WORKER_HEARTBEAT_SUBJECT, WorkerInfo,
  cancelSubject, eventSubject, resultSubject, shardSubject, sweepConsumerName, type GetResponse, type ResultsResponse, type Trial,
} from '../proto/index.js';
import { spawnCli, spawnWorker, startNats, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { storedResultCount } from './helpers/streams.js';
import { healthStatus } from './helpers/health.js';
import { reportFault } from './helpers/reliability.js';

const TRIALS = 40;
/** Batches sent before the worker starts (into the queue and the empty result places), then while it runs the sweep. */
const RUNS_BEFORE = 50;
const RUNS_DURING = 150;
/** A sweep no coordinator knows, for valid messages about the wrong sweep. */
const OTHER = 'fuzz-other-sweep';
const ADVISORY_PREFIX = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SHARDS_STREAM}`;
const RECORD_STATES = [SweepState.SWEEP_STATE_UNSPECIFIED, SweepState.SWEEP_STATE_RUNNING, SweepState.SWEEP_STATE_COMPLETED, SweepState.SWEEP_STATE_CANCELLED];

let nats: NatsServer;
let coordinator: CliProcess;
let worker: CliProcess | undefined;
let client: SweepServiceClient;
let nc: NatsConnection;

test.before(async () => {
  nats = await startNats();
  coordinator = spawnCli(['coordinator', '--nats', nats.url, '--grpc', '127.0.0.1:0', '--metrics', 'none', '--ack-wait', '3000']);
  const address = (await coordinator.waitFor(/grpc=(\S+)/))[1] ?? '';
  client = new SweepServiceClient(address, credentials.createInsecure());
  nc = await connect({ servers: nats.url });
});

test.after.always(async () => {
  client?.close();
  await nc?.close();
  await Promise.all([worker, coordinator].map((p) => p?.kill('SIGKILL')));
  await nats?.stop();
});

function unary<Req, Res>(fn: (req: Req, md: Metadata, opts: { deadline: number }, cb: (e: ServiceError | null, r: Res) => void) => unknown, req: Req, timeoutMs = 5_000): Promise<Res> {
  return new Promise((resolve, reject) => fn.call(client, req, new Metadata(), { deadline: Date.now() + timeoutMs }, (e, r) => (e ? reject(e) : resolve(r))));
}

async function results(sweepId: string): Promise<TrialResult[]> {
  const out: TrialResult[] = [];
  await new Promise<void>((resolve, reject) => {
    const s = client.results({ sweepId });
    s.on('data', (r: ResultsResponse) => r.result && out.push(r.result));
    s.on('end', resolve);
    s.on('error', reject);
  });
  return out;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Where a fuzzed message goes, and the valid message of the wrong sweep (or a forged claim) its kind is. */
interface Target {
  name: string;
  subject(pick: number): string;
  valid(pick: number): Uint8Array;
}

function targets(sweepId: string, trials: readonly Trial[], seqs: readonly number[]): Target[] {
  const trial = (pick: number): Trial => trials[pick % trials.length] ?? { id: 'tnone', sweepId, index: 0, params: {}, seed: 0 };
  const fakeTrial = (pick: number): string => `tfuzz${pick % 50}`;
  const seq = (pick: number): number => (seqs[pick % seqs.length] ?? 1) + (pick % 3) - 1;
  const otherResult = (pick: number): TrialResult => {
    const t = trial(pick);
    return { trialId: t.id, sweepId: OTHER, params: t.params, seed: t.seed, index: t.index, status: TrialStatus.TRIAL_STATUS_OK, error: '', metrics: { score: 1 }, groupMetrics: [], attempts: 1, workerId: 'fuzz', backend: 'fuzz', device: '', startedAtMs: 1, finishedAtMs: 2 };
  };
  return [
    { name: 'events', subject: (p) => eventSubject(p % 2 ? sweepId : OTHER), valid: (p) => TrialEvent.encode({ kind: p % 5, trialId: trial(p).id, sweepId: OTHER, workerId: 'fuzz', attempt: 1 + (p % 3), error: 'fuzz', atMs: Date.now(), step: p, metrics: { 'train/loss': p } }).finish() },
    { name: 'cancel', subject: () => cancelSubject(sweepId), valid: () => new Uint8Array() },
    { name: 'heartbeats', subject: () => WORKER_HEARTBEAT_SUBJECT, valid: (p) => WorkerInfo.encode({ id: `fuzz-worker-${p % 5}`, backend: 'fuzz', gpu: -1, device: '', slots: p % 9, busy: p % 4, state: p % 2 ? 'running' : 'stopped', grpcAddress: '', hostname: 'fuzz', startedAtMs: 1, trialsDone: p }).finish() },
    // Results in the place of each real trial's result (before or after it is stored), of trials the
    // sweep does not have, and on the other sweep's subjects.
    {
      name: 'results',
      subject: (p) => (p % 4 === 0 ? resultSubject(OTHER, trial(p).id) : p % 4 === 1 ? resultSubject(sweepId, fakeTrial(p)) : resultSubject(sweepId, trial(p).id)),
      valid: (p) => TrialResult.encode(p % 4 === 1 ? { ...otherResult(p), sweepId, trialId: fakeTrial(p) } : otherResult(p)).finish(),
    },
    { name: 'shards', subject: () => shardSubject(sweepId), valid: (p) => Shard.encode({ id: `${OTHER}-s${p}`, sweepId: OTHER, method: 'sleep', dataset: undefined, maxAttempts: 1, pack: 0, trials: [{ ...trial(p), sweepId: OTHER }] }).finish() },
    // A max-deliveries claim about a real shard (or one beside it), on the sweep consumer's subject or another.
    {
      name: 'advisories',
      subject: (p) => `${ADVISORY_PREFIX}.${p % 3 ? sweepConsumerName(sweepId) : 'x'}`,
      valid: (p) => text(JSON.stringify({ type: 'io.nats.jetstream.advisory.v1.max_deliver', id: `fuzz${p}`, stream: SHARDS_STREAM, consumer: p % 3 ? sweepConsumerName(sweepId) : 'x', stream_seq: Math.max(1, seq(p)), deliveries: 1 + (p % 3) })),
    },
    // The sweeps bucket: over the running sweep's record, and under other keys, with records of another sweep.
    {
      name: 'sweeps',
      subject: (p) => `$KV.${SWEEPS_BUCKET}.${p % 2 ? sweepId : `fuzz-key-${p % 7}`}`,
      valid: (p) => SweepRecord.encode({ id: OTHER, spec: undefined, state: RECORD_STATES[p % RECORD_STATES.length] ?? SweepState.SWEEP_STATE_RUNNING, totalTrials: 1, totalShards: 1, createdAtMs: 1, finishedAtMs: 0, specYaml: '', dispatched: true, reason: 'fuzz' }).finish(),
    },
  ];
}

type Kind = 'bytes' | 'json' | 'truncated' | 'wrong-sweep';

const messageArb = (count: number) =>
  fc.record({
    target: fc.integer({ min: 0, max: count - 1 }),
    pick: fc.nat({ max: 10_000 }),
    kind: fc.constantFrom<Kind>('bytes', 'json', 'truncated', 'wrong-sweep'),
    bytes: fc.uint8Array({ maxLength: 160 }),
    json: fc.json({ depthSize: 'small' }),
    cut: fc.double({ min: 0, max: 1, noNaN: true }),
  });

test('fuzzed NATS messages on every subject fairsweep listens on: both processes keep serving and the sweep completes, each trial recorded once', async (t) => {
  const spec = `name: ${uniqueName('fuzz')}\nmethod: sleep\nparams: { duration_ms: 250 }\ngrid: { x: { linspace: [0, 1, ${TRIALS}] } }\nshard_size: 2\nmax_attempts: 3\nobjectives: [{ metric: score, goal: max }]\n`;
  const { sweepId } = await unary(client.submit, { specYaml: spec });
  const queued = await new Dispatcher(jetstream(nc), await jetstreamManager(nc)).remaining(sweepId);
  const trials = queued.flatMap((m) => Shard.decode(m.data).trials);
  t.is(trials.length, TRIALS);
  const all = targets(sweepId, trials, queued.map((m) => m.seq));
  const sent = new Map<string, number>();
  const seed = process.env.FAIRSWEEP_FUZZ_SEED ? Number(process.env.FAIRSWEEP_FUZZ_SEED) : undefined;
  const fuzz = (numRuns: number) => fc.assert(
    fc.asyncProperty(fc.array(messageArb(all.length), { minLength: 1, maxLength: 10 }), async (batch) => {
      for (const m of batch) {
        const target = all[m.target];
        if (!target) continue;
        const valid = target.valid(m.pick);
        const payload =
          m.kind === 'bytes' ? m.bytes : m.kind === 'json' ? text(m.json) : m.kind === 'truncated' ? valid.slice(0, Math.floor(m.cut * valid.length)) : valid;
        nc.publish(target.subject(m.pick), payload);
        sent.set(target.name, (sent.get(target.name) ?? 0) + 1);
      }
      await nc.flush();
      // The coordinator still answers, about this sweep.
      const got = await unary<{ sweepId: string }, GetResponse>(client.get, { sweepId });
      return got.sweep?.id === sweepId;
    }),
    { numRuns, endOnFailure: true, ...(seed !== undefined ? { seed } : {}) },
  );
  await fuzz(RUNS_BEFORE);
  worker = await spawnWorker(nats.url, ['--slots', '2']);
  const workerId = (await worker.waitFor(/worker (\S+) running/))[1];
  const workerGrpc = `127.0.0.1:${(await worker.waitFor(/grpc=(\d+)/))[1]}`;
  await fuzz(RUNS_DURING);
  t.log(`sent ${[...sent].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  t.true(all.every((target) => (sent.get(target.name) ?? 0) > 0), 'every subject was fuzzed');

  await eventually(async () => (await unary<{ sweepId: string }, GetResponse>(client.get, { sweepId })).sweep?.state !== SweepState.SWEEP_STATE_RUNNING, 60_000, 'the sweep to end');
  const got = await unary<{ sweepId: string }, GetResponse>(client.get, { sweepId });
  t.is(got.sweep?.state, SweepState.SWEEP_STATE_COMPLETED, got.sweep?.reason);
  const recorded = await results(sweepId);
  t.is(recorded.length, TRIALS);
  t.deepEqual(new Set(recorded.map((r) => r.trialId)), new Set(trials.map((tr) => tr.id)), 'every trial of the sweep, and nothing else');
  t.deepEqual(recorded.filter((r) => r.status !== TrialStatus.TRIAL_STATUS_OK).map((r) => `${r.trialId}: ${r.error}`), [], 'no trial failed');
  t.true(recorded.every((r) => r.workerId === workerId), 'every result is the worker\'s');
  // What is not a result of this sweep's trials is deleted as the coordinator reads it.
  await eventually(async () => (await storedResultCount(nats.url, sweepId)) === TRIALS, 10_000, 'one stored result per trial, nothing else');
  reportFault(`fuzzed messages on every subject fairsweep listens on (${[...sent.values()].reduce((a, b) => a + b, 0)} messages)`, TRIALS, await storedResultCount(nats.url, sweepId), new Set(recorded.map((r) => r.trialId)).size);
  t.is(await healthStatus(workerGrpc), 'SERVING');
  t.is(worker.proc.exitCode, null, 'the worker is alive');
  t.is(coordinator.proc.exitCode, null, 'the coordinator is alive');
  const address = client.getChannel().getTarget();
  t.is(await healthStatus(address.replace(/^dns:/, '')), 'SERVING');
});
