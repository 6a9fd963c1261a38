import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI } from './helpers/cluster.js';
import { reportFault } from './helpers/reliability.js';

const run = promisify(execFile);

interface Row {
  trial_id: string;
  status: string;
  error?: string;
  attempts: number;
  params: Record<string, unknown>;
}

test('fairsweep run: a poison trial that kills its worker is retried up to max_attempts, then recorded failed; the rest completes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fairsweep-run-'));
  const spec = join(dir, 'poison.yaml');
  await writeFile(
    spec,
    `name: poison
method: sleep
params: { duration_ms: 50 }
grid:
  x: [1, 2, 3]
  crash_rate: [0, 1]
max_attempts: 3
objectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]
`,
  );
  const out = join(dir, 'out');
  // One slot per worker: a poison trial kills its process, and with it the attempt of any trial
  // running beside it (JetStream counts that delivery); innocents must not run out of attempts.
  const { stdout } = await run(process.execPath, [CLI, 'run', spec, '--workers', '2', '--slots', '1', '--max-restarts', '30', '--out', out, '--ack-wait', '1500', '--json', '-q'], { timeout: 120_000 });
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { state: string; ok: number; failed: number; total: number };
  t.is(summary.state, 'completed');
  t.is(summary.total, 6);
  const rows = (await readFile(join(out, 'results.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Row);
  const innocentFailures = rows.filter((r) => r.params.crash_rate === 0 && r.status !== 'ok').map((r) => `${r.trial_id} attempts ${r.attempts}: ${r.error}`);
  t.deepEqual(innocentFailures, [], 'trials that do not crash complete');
  t.is(summary.ok, 3);
  t.is(summary.failed, 3);
  t.is(rows.length, 6);
  t.is(new Set(rows.map((r) => r.trial_id)).size, 6);
  reportFault('poison trial killing its worker (3 of 6 trials; max_attempts 3)', 6, rows.length, new Set(rows.map((r) => r.trial_id)).size);
  for (const r of rows) {
    if (r.params.crash_rate === 1) {
      t.is(r.status, 'failed');
      t.is(r.attempts, 3);
      t.regex(r.error ?? '', /no result after 3 delivery attempt/);
    } else t.is(r.status, 'ok');
  }
  const frontier = JSON.parse(await readFile(join(out, 'frontier.json'), 'utf8')) as { frontier: unknown[]; hypervolume: number | null };
  t.true(frontier.frontier.length > 0);
  t.is(typeof frontier.hypervolume, 'number');
  t.regex(await readFile(join(out, 'summary.txt'), 'utf8'), /6 recorded, 3 ok, 3 failed/);
});
