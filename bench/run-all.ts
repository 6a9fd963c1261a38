/** `npm run bench`: every benchmark in turn; each prints its figure and its ratio to a baseline from the same run. */
// Optuna's TPESampler takes from 10 minutes to over an hour per run on 2 cores: `npm run bench`
// compares against its NSGAIISampler only unless BENCH_OPTUNA_SAMPLERS says otherwise
// (`node dist/bench/search.js` alone runs both; docs/benchmarks.md).
process.env.BENCH_OPTUNA_SAMPLERS ??= 'nsga2';
const benches = ['./frontier.js', './throughput.js', './scheduling.js', './training.js', './prefix-cache.js', './editing-pack.js', './gpu.js', './search.js', './asha.js', './asha-replay.js', './lodo.js'];
for (const b of benches) {
  const mod = (await import(b)) as { main: () => Promise<void> };
  await mod.main();
}
