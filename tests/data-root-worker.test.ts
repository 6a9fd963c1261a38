import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrialStatus, type TrialResult } from '../proto/index.js';
import { eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';

const MIB = 1024 * 1024;
const SECRET = 'root:*:20228:0:99999:7:::';

// base/outside/secret.csv is a CSV in every way but its place: outside the workers' data directory.
const base = mkdtempSync(join(tmpdir(), 'fairsweep-data-worker-'));
const outside = join(base, 'outside');
const data = join(base, 'data');
mkdirSync(outside);
mkdirSync(data);
writeFileSync(join(outside, 'secret.csv'), `${SECRET},g,y\n1,a,0\n2,b,1\n`);
const good = ['x1,x2,grp,y', ...Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5}.5,${i % 3 === 0 ? 'B' : 'A'},${i % 2}`)].join('\n');
writeFileSync(join(data, 'good.csv'), good);
writeFileSync(join(data, 'big.csv'), '');
truncateSync(join(data, 'big.csv'), 2 * MIB);
execFileSync('mkfifo', [join(data, 'pipe.csv')]);
symlinkSync(join(outside, 'secret.csv'), join(data, 'link-out.csv'));
symlinkSync('/dev/zero', join(data, 'zero.csv'));

const fixture = sweepFixture(test, {
  coordinator: { ackWaitMs: 5_000 },
  killBeforeEach: true,
  teardown: async () => rmSync(base, { recursive: true, force: true }),
});

/** Runs a one-trial csv sweep on `path` and returns its result, once recorded (within `withinMs`). */
async function trialOn(path: string, withinMs = 20_000): Promise<TrialResult> {
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(
    `name: ${uniqueName('data')}\nmethod: erm\ndataset: { name: csv, path: ${JSON.stringify(path)}, label: y, group: grp }\nparams: { steps: 5, hidden: [2] }\nseeds: [0]\nobjectives: [{ metric: test/accuracy, goal: max }]\n`,
  );
  const agg = c.sweep(sweepId);
  await eventually(() => agg.finished, withinMs, `the trial on ${path} to be recorded`);
  const [result] = c.results(sweepId);
  if (!result) throw new Error(`no result for ${path}`);
  return result;
}

test.serial('a worker reads only regular files under its data directory; refusals are quick, not retried and hold no file content', async (t) => {
  const w = await fixture.worker('--data-dir', data, '--max-data-mb', '1', '--slots', '1');
  t.true(w.output.includes(`data-dir=${data}`), w.output);
  const refusals: [string, RegExp][] = [
    ['../outside/secret.csv', /^dataset\.path: "\.\.\/outside\/secret\.csv" leads out of the worker's data directory$/],
    ['../../../../../../../../etc/passwd', /leads out of the worker's data directory/],
    ['/etc/passwd', /^dataset\.path: "\/etc\/passwd" is an absolute path; dataset paths are relative to the worker's data directory$/],
    [join(outside, 'secret.csv'), /is an absolute path/],
    ['link-out.csv', /^dataset\.path: "link-out\.csv" resolves, through a symbolic link, to a file outside the worker's data directory$/],
    ['/dev/zero', /is an absolute path/],
    ['zero.csv', /"zero\.csv" resolves, through a symbolic link, to a file outside/],
    ['pipe.csv', /^dataset\.path: "pipe\.csv" is a FIFO \(named pipe\), not a regular file$/],
    ['big.csv', /^dataset\.path: "big\.csv" is 2\.0 MiB, over the limit of 1\.0 MiB/],
  ];
  for (const [path, re] of refusals) {
    const started = Date.now();
    const r = await trialOn(path);
    t.is(r.status, TrialStatus.TRIAL_STATUS_FAILED, path);
    t.regex(r.error, re, path);
    t.false(r.error.includes('root:'), `${path}: ${r.error}`);
    t.is(r.attempts, 1, `${path}: refused once, not retried`);
    t.true(Date.now() - started < 15_000, `${path}: recorded in ${Date.now() - started} ms`);
  }
  // The same worker, after the FIFO and the devices, still runs trials.
  const ok = await trialOn('good.csv', 60_000);
  t.is(ok.status, TrialStatus.TRIAL_STATUS_OK, ok.error);
  t.true(Number.isFinite(ok.metrics['test/accuracy']));
  t.is(w.proc.exitCode, null, 'the worker is still running');
});

test.serial('a worker started without --data-dir fails csv trials at once, saying how to give it a data directory', async (t) => {
  const w = await fixture.worker('--slots', '1');
  t.regex(w.output, /data-dir=none/);
  // Not even an absolute path to a readable CSV is read.
  const r = await trialOn(join(data, 'good.csv'));
  t.is(r.status, TrialStatus.TRIAL_STATUS_FAILED);
  t.is(r.attempts, 1);
  t.regex(r.error, /^dataset\.path: this worker has no data directory, so it reads no dataset files; start it with `fairsweep worker --data-dir DIR`/);
});

test.serial('a worker refuses a data directory that does not exist, naming the option', async (t) => {
  const p = fixture.worker('--data-dir', join(base, 'absent'));
  await t.throwsAsync(p, { message: /dataDir: cannot use .*absent \(ENOENT\)/ });
});
