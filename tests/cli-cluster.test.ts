import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NatsServer } from '../common/index.js';
import { CLI, spawnCli, spawnWorker, startNats, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { removeDir } from './helpers/temp-dir.js';

const exec = promisify(execFile);
let nats: NatsServer;
let coordinator: CliProcess;
let address = '';
const workers: CliProcess[] = [];

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, [CLI, ...args], { timeout: 120_000 });
  return stdout;
}

let specDir = '';
async function specFile(text: string): Promise<string> {
  specDir ||= await mkdtemp(join(tmpdir(), 'fairsweep-spec-'));
  const p = join(specDir, `${uniqueName('spec')}.yaml`);
  await writeFile(p, text);
  return p;
}

test.before(async () => {
  nats = await startNats();
  coordinator = spawnCli(['coordinator', '--nats', nats.url, '--grpc', '127.0.0.1:0', '--metrics', '127.0.0.1:0', '--ack-wait', '2000']);
  address = (await coordinator.waitFor(/grpc=(\S+)/))[1]!;
  workers.push(await spawnWorker(nats.url), await spawnWorker(nats.url));
});

test.after.always(async () => {
  await Promise.all([...workers, coordinator].map((p) => p?.kill('SIGKILL')));
  await nats?.stop();
  await removeDir(specDir);
});

test.serial('by hand: submit --wait, status, results as CSV and JSONL, frontier-of, workers', async (t) => {
  const spec = await specFile(`name: ${uniqueName('hand')}\nmethod: sleep\nparams: { duration_ms: 20 }\ngrid: { x: [1, 2, 3], y: [a, b] }\nseeds: [0, 1]\nobjectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]\n`);
  const out = await cli('submit', spec, '--coordinator', address, '--wait', '-q');
  const sweepId = out.trim().split('\n').pop()!;
  t.regex(sweepId, /^hand-[a-z0-9-]+$/);
  t.regex(await cli('status', sweepId, '--coordinator', address), /completed: 12\/12 done \(ok 12, failed 0/);
  const csv = (await cli('results', sweepId, '--coordinator', address, '--format', 'csv')).trim().split('\n');
  t.is(csv.length, 13);
  t.true(csv[0]!.startsWith('trial_id,sweep_id,index,seed,status'));
  t.true(csv[0]!.includes('param.x') && csv[0]!.includes('score'));
  const jsonl = (await cli('results', sweepId, '--coordinator', address)).trim().split('\n').map((l) => JSON.parse(l) as { trial_id: string; status: string });
  t.is(new Set(jsonl.map((r) => r.trial_id)).size, 12);
  const frontier = JSON.parse(await cli('frontier-of', sweepId, '--coordinator', address)) as { frontier: unknown[] };
  t.true(frontier.frontier.length > 0);
  const ws = await cli('workers', '--coordinator', address);
  t.is(ws.trim().split('\n').length, 2);
});

test.serial('by hand: killing one worker mid-sweep leaves every trial recorded exactly once', async (t) => {
  const spec = await specFile(`name: ${uniqueName('handkill')}\nmethod: sleep\nparams: { duration_ms: 200 }\ngrid: { x: { linspace: [0, 1, 24] } }\nmax_attempts: 4\nobjectives: [{ metric: score, goal: max }]\n`);
  const sweepId = (await cli('submit', spec, '--coordinator', address)).trim().split('\n').pop()!;
  await eventually(async () => /: ([4-9]|\d\d+)\/24 done/.test(await cli('status', sweepId, '--coordinator', address)), 30_000, 'some progress');
  await workers.shift()!.kill('SIGKILL');
  const watched = await cli('watch', sweepId, '--coordinator', address, '--json');
  const last = JSON.parse(watched.trim().split('\n').pop()!) as { progress: { state: string; ok: number; failed: number } };
  t.is(last.progress.state, 'completed');
  t.is(last.progress.ok, 24);
  const rows = (await cli('results', sweepId, '--coordinator', address)).trim().split('\n').map((l) => JSON.parse(l) as { trial_id: string; attempts: number });
  t.is(rows.length, 24);
  t.is(new Set(rows.map((r) => r.trial_id)).size, 24);
  workers.push(await spawnWorker(nats.url));
});

test.serial('by hand: cancel a running sweep', async (t) => {
  const spec = await specFile(`name: ${uniqueName('handcancel')}\nmethod: sleep\nparams: { duration_ms: 60000 }\ngrid: { x: { linspace: [0, 1, 10] } }\nobjectives: [{ metric: score, goal: max }]\n`);
  const sweepId = (await cli('submit', spec, '--coordinator', address)).trim().split('\n').pop()!;
  await eventually(async () => /running [1-9]/.test(await cli('status', sweepId, '--coordinator', address)), 30_000, 'trials running');
  t.regex(await cli('cancel', sweepId, '--coordinator', address), /cancelled/);
  t.regex(await cli('status', sweepId, '--coordinator', address), /cancelled: 0\/10 done/);
});
