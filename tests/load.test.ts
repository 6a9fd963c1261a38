/**
 * Load: 10,000 `sleep` trials over 8 worker processes and a coordinator process. Every trial is
 * recorded once, the coordinator's peak RSS stays bounded, Get/Results/Watch keep answering while
 * the sweep runs; several sweeps submitted together share the workers fairly.
 * Figures are logged and, when FAIRSWEEP_LOAD_OUT names a file, appended to it as JSON lines.
 */
import test from 'ava';
import { appendFileSync, readFileSync } from 'node:fs';
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { NatsServer } from '../common/index.js';
import { SweepServiceClient, SweepState, TrialStatus, type GetResponse, type Progress, type WatchResponse } from '../proto/index.js';
import { spawnCli, spawnWorker, startNats, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { storedResultCount } from './helpers/streams.js';
import { reportFault } from './helpers/reliability.js';

const TRIALS = Number(process.env.FAIRSWEEP_LOAD_TRIALS ?? 10_000);
const WORKERS = 8;

let nats: NatsServer;
let coordinator: CliProcess;
let client: SweepServiceClient;
const procs: CliProcess[] = [];

test.before(async () => {
  nats = await startNats();
  coordinator = spawnCli(['coordinator', '--nats', nats.url, '--grpc', '127.0.0.1:0', '--metrics', 'none']);
  procs.push(coordinator);
  const address = (await coordinator.waitFor(/grpc=(\S+)/))[1]!;
  client = new SweepServiceClient(address, credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  procs.push(...(await Promise.all(Array.from({ length: WORKERS }, () => spawnWorker(nats.url, ['--slots', '2'])))));
});

test.after.always(async () => {
  client?.close();
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  await nats?.stop();
});

function record(figures: Record<string, unknown>): void {
  if (process.env.FAIRSWEEP_LOAD_OUT) appendFileSync(process.env.FAIRSWEEP_LOAD_OUT, `${JSON.stringify(figures)}\n`);
}

const spec = (name: string, n: number, ms: number): string =>
  `name: ${uniqueName(name)}\nmethod: sleep\nparams: { duration_ms: ${ms} }\ngrid: { x: { linspace: [0, 1, ${n}] } }\nobjectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]\n`;

function submit(specYaml: string): Promise<string> {
  return new Promise((resolve, reject) => client.submit({ specYaml }, new Metadata(), { deadline: Date.now() + 30_000 }, (e: ServiceError | null, r) => (e ? reject(e) : resolve(r.sweepId))));
}

function get(sweepId: string): Promise<GetResponse> {
  return new Promise((resolve, reject) => client.get({ sweepId }, new Metadata(), { deadline: Date.now() + 10_000 }, (e: ServiceError | null, r: GetResponse) => (e ? reject(e) : resolve(r))));
}

function results(sweepId: string): Promise<{ trialId: string; status: TrialStatus }[]> {
  return new Promise((resolve, reject) => {
    const out: { trialId: string; status: TrialStatus }[] = [];
    const s = client.results({ sweepId }, new Metadata(), { deadline: Date.now() + 60_000 });
    s.on('data', (r: { result?: { trialId: string; status: TrialStatus } }) => r.result && out.push(r.result));
    s.on('error', reject);
    s.on('end', () => resolve(out));
  });
}

/** Peak resident set size of a process (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

test.serial(`${TRIALS} sleep trials over ${WORKERS} worker processes: each recorded once, bounded memory, responsive API`, async (t) => {
  const started = Date.now();
  const sweepId = await submit(spec('load', TRIALS, 10));
  // A Watch client follows the whole sweep: the gaps between its messages show it stays live.
  const watchGaps: number[] = [];
  let lastWatch = Date.now();
  let watchResults = 0;
  const watchDone = new Promise<Progress | undefined>((resolve, reject) => {
    let last: Progress | undefined;
    const s = client.watch({ sweepId, replay: true });
    s.on('data', (ev: WatchResponse) => {
      const now = Date.now();
      watchGaps.push(now - lastWatch);
      lastWatch = now;
      if (ev.event?.$case === 'progress') last = ev.event.value;
      else if (ev.event?.$case === 'result') watchResults++;
    });
    s.on('error', reject);
    s.on('end', () => resolve(last));
  });
  // Get latency while the sweep runs, and a Results call mid-sweep.
  const getLatencies: number[] = [];
  let midResultsMs = NaN;
  let midResultsRows = 0;
  const getErrors: string[] = [];
  await eventually(async () => {
    const t0 = Date.now();
    const g = await get(sweepId).catch((err: unknown) => {
      getErrors.push(String(err));
      throw err;
    });
    getLatencies.push(Date.now() - t0);
    const p = g.progress!;
    if (Number.isNaN(midResultsMs) && p.ok >= TRIALS / 2) {
      const r0 = Date.now();
      midResultsRows = (await results(sweepId)).length;
      midResultsMs = Date.now() - r0;
    }
    return p.state === SweepState.SWEEP_STATE_COMPLETED;
  }, 600_000, 'the sweep to complete within 10 minutes');
  t.deepEqual(getErrors, [], 'Get answered throughout the sweep');
  const wallS = (Date.now() - started) / 1000;
  const final = await watchDone;
  const r0 = Date.now();
  const rows = await results(sweepId);
  const resultsMs = Date.now() - r0;
  const peak = peakRssMiB(coordinator.pid);

  t.is(rows.length, TRIALS);
  t.is(new Set(rows.map((r) => r.trialId)).size, TRIALS);
  t.true(rows.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  t.is(await storedResultCount(nats.url, sweepId), TRIALS, 'the results stream holds each trial once');
  t.is(final?.state, SweepState.SWEEP_STATE_COMPLETED, 'the Watch stream ends with the completed sweep');
  // Watch (with replay) delivers every result exactly once, then the completed progress.
  t.is(watchResults, TRIALS, 'Watch delivered every result once');
  t.true(midResultsRows >= TRIALS / 2);
  // Generous bounds (2 shared cores): these catch a coordinator that stalls or leaks, not noise.
  t.true(peak < 400, `coordinator peak RSS ${peak.toFixed(0)} MiB`);
  t.true(quantile(getLatencies, 0.99) < 3_000, `Get p99 ${quantile(getLatencies, 0.99)} ms`);
  const figures = {
    case: 'load',
    trials: TRIALS,
    workers: WORKERS,
    wall_s: Number(wallS.toFixed(1)),
    trials_per_s: Math.round(TRIALS / wallS),
    coordinator_peak_rss_mib: Math.round(peak),
    get_p50_ms: quantile(getLatencies, 0.5),
    get_p99_ms: quantile(getLatencies, 0.99),
    watch_max_gap_ms: Math.max(...watchGaps),
    results_mid_sweep_ms: midResultsMs,
    results_final_ms: resultsMs,
  };
  t.log(JSON.stringify(figures));
  record(figures);
  reportFault(`load: ${TRIALS} trials over ${WORKERS} worker processes`, TRIALS, rows.length, new Set(rows.map((r) => r.trialId)).size);
});

test.serial('several sweeps submitted together share the workers fairly', async (t) => {
  const N = 3;
  const PER = 240;
  // 16 slots, trials of 40 ms: one sweep alone would take ~0.6 s of pure work per 240 trials.
  const ids = await Promise.all(Array.from({ length: N }, (_, i) => submit(spec(`fair${i}`, PER, 40))));
  // Where each sweep stood once all were submitted: on a loaded machine the first one submitted can
  // be well on before the last one's shards are queued, and sharing can only be judged from here.
  const atStart = await Promise.all(ids.map(async (id) => ((await get(id)).progress?.ok ?? 0) / PER));
  const samples: number[][] = [];
  let firstDone: number[] | undefined;
  await eventually(async () => {
    const done = await Promise.all(ids.map(async (id) => ((await get(id)).progress?.ok ?? 0) / PER));
    samples.push(done);
    if (!firstDone && done.some((d) => d >= 1)) firstDone = done;
    return done.every((d) => d >= 1);
  }, 300_000, 'all sweeps to complete');
  // When the first sweep completes, the others have progressed comparably since all were submitted
  // (round-robin over sweeps): each gained at least 0.6 of what the first one had left then.
  const first = firstDone!.findIndex((d) => d >= 1);
  const firstLeft = 1 - (atStart[first] as number);
  const gains = firstDone!.map((d, i) => d - (atStart[i] as number));
  const minOther = Math.min(...gains.filter((_, i) => i !== first)) / firstLeft;
  t.true(
    minOther >= 0.6,
    `when sweep ${first} completed (from ${atStart.map((d) => d.toFixed(2)).join(', ')} at submit to ${firstDone!.map((d) => d.toFixed(2)).join(', ')}), the slowest other had gained ${minOther.toFixed(2)} of what it had left`,
  );
  // Throughout, no sweep is starved: at the mid-point of the run every sweep has made progress.
  const mid = samples[Math.floor(samples.length / 2)]!;
  t.true(mid.every((d) => d > 0), `progress at the mid-point: ${mid.map((d) => d.toFixed(2)).join(', ')}`);
  for (const id of ids) t.is((await results(id)).length, PER);
  const figures = { case: 'fairness', sweeps: N, trials_each: PER, slowest_gain_when_first_done: Number(minOther.toFixed(2)), done_at_submit: atStart.map((d) => Number(d.toFixed(2))) };
  t.log(JSON.stringify(figures));
  record(figures);
});
