import { BenchCluster, isEntry } from './harness.js';

const TRIALS = Number(process.env.BENCH_SCHED_TRIALS ?? 2000);
const DURATION_MS = 250;
const WORKERS = 4;
const SLOTS = 4;

/** Scheduling efficiency: ideal time (trials × duration / slots) over the actual submit-to-last-result time. */
export async function main(): Promise<void> {
  const cluster = await BenchCluster.start(WORKERS, SLOTS);
  try {
    const r = await cluster.timeSweep(`
name: bench-scheduling
method: sleep
params: { duration_ms: ${DURATION_MS} }
grid: { x: { linspace: [0, 1, ${TRIALS}] } }
objectives: [{ metric: score, goal: max }]
`);
    if (r.ok !== TRIALS) throw new Error(`only ${r.ok} of ${TRIALS} trials ok`);
    const ideal = (TRIALS * DURATION_MS) / 1000 / (WORKERS * SLOTS);
    const eff = ideal / r.seconds;
    console.log(
      `scheduling: ${TRIALS} sleep(${DURATION_MS} ms) trials on ${WORKERS} workers x ${SLOTS} slots: ${r.seconds.toFixed(2)} s, ideal ${ideal.toFixed(2)} s, ` +
        `efficiency ${(eff * 100).toFixed(1)}% (target >= 98% ${eff >= 0.98 ? 'PASS' : 'MISS'}; Ray Tune's published bookkeeping test: 87%); ` +
        `submit call ${r.submitS.toFixed(2)} s, first trial started ${r.firstStartS.toFixed(2)} s after submit`,
    );
  } finally {
    await cluster.stop();
  }
}

if (isEntry(import.meta.url)) await main();
