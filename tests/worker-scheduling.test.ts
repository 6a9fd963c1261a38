import test from 'ava';
import { setTimeout as delay } from 'node:timers/promises';
import { TrialStatus } from '../proto/index.js';
import { eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';

/** How long the first worker alone may (wrongly) fetch the second shard before the second worker starts. */
const HOLD_BACK_WINDOW_MS = 1_000;

const fixture = sweepFixture(test);

test('a worker does not hold back a long shard it cannot start: two long trials run at once on two workers started apart', async (t) => {
  const c = fixture.server.coordinator;
  const first = await fixture.worker('--slots', '1');
  const { sweepId } = await c.submit(
    `name: ${uniqueName('long')}\nmethod: sleep\nparams: { duration_ms: 6000 }\ngrid: { x: [0, 1] }\nobjectives: [{ metric: score, goal: max }]\n`,
  );
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size > 0, 30_000, 'the first trial running');
  // A negative check, so a bounded wait: nothing signals that a worker chose not to fetch, so give
  // the first worker a window in which it could wrongly take the second shard; the second arrives late.
  await delay(HOLD_BACK_WINDOW_MS);
  const second = await fixture.worker('--slots', '1');
  await eventually(() => agg.finished, 60_000, 'the sweep to finish');
  const results = c.results(sweepId);
  t.is(results.length, 2);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK && r.attempts === 1));
  const idOf = (w: CliProcess): string | undefined => w.output.match(/worker (\S+) running/)?.[1];
  t.deepEqual(new Set(results.map((r) => r.workerId)), new Set([idOf(first), idOf(second)]), 'each worker ran one trial');
});
