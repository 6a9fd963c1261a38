import { CoordinatorMetrics } from '../../coordinator/coordinator-metrics.js';
import { WorkerMetrics } from '../../worker/runtime/worker-metrics.js';

/**
 * Every series name the coordinator and worker /metrics endpoints can expose, from their prom-client
 * registries: counters and gauges by name, histograms with `_bucket`, `_sum` and `_count`,
 * summaries with `_sum` and `_count`.
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [new CoordinatorMetrics().registry, new WorkerMetrics().registry]) {
    for (const m of await registry.getMetricsAsJSON()) {
      const type = String(m.type);
      names.add(m.name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
      if (type === 'summary') for (const s of ['_sum', '_count']) names.add(`${m.name}${s}`);
    }
  }
  return names;
}
