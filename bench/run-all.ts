/** `npm run bench`: every benchmark in turn; each prints its figure and its ratio to a baseline from the same run. */
const benches = ['./frontier.js', './throughput.js', './scheduling.js', './training.js', './prefix-cache.js', './gpu.js'];
for (const b of benches) {
  const mod = (await import(b)) as { main: () => Promise<void> };
  await mod.main();
}
