/** A metric name means one thing: the coordinator and the workers never export one name with two meanings. */
import test from 'ava';
import { CoordinatorMetrics } from '../coordinator/coordinator-metrics.js';
import { WorkerMetrics } from '../worker/runtime/worker-metrics.js';

test('no metric name is registered by the coordinator and by a worker with different help text', async (t) => {
  const coordinator = await new CoordinatorMetrics().registry.getMetricsAsJSON();
  const worker = new Map((await new WorkerMetrics().registry.getMetricsAsJSON()).map((m) => [m.name, m.help]));
  const clashes = coordinator
    .filter((m) => worker.has(m.name) && worker.get(m.name) !== m.help)
    .map((m) => `${m.name}: coordinator "${m.help}", worker "${worker.get(m.name) ?? ''}"`);
  t.deepEqual(clashes, []);
  const shared = coordinator.filter((m) => worker.has(m.name)).map((m) => m.name);
  t.true(shared.length > 0 && shared.every((n) => !n.startsWith('fairsweep_')), `shared: ${shared.join(', ')}`);
  const names = new Set(coordinator.map((m) => m.name));
  for (const n of ['fairsweep_cluster_worker_slots', 'fairsweep_cluster_worker_busy_slots', 'fairsweep_workers_connected']) t.true(names.has(n), n);
  for (const n of ['fairsweep_worker_slots', 'fairsweep_worker_busy_slots']) t.true(worker.has(n) && !names.has(n), n);
});
