import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { exportedMetricNames } from './helpers/exported-metrics.js';
import { PromqlCheckError, checkMetricNames, expandGrafanaVariables, metricNames } from './helpers/promql.js';
import { readRepoText, readRepoYaml, repoPath } from './helpers/repo-files.js';

const exec = promisify(execFile);

interface Target { expr: string; refId: string }
interface Panel { type: string; title: string; targets?: Target[]; datasource?: { uid: string } }
interface Dashboard { uid: string; panels: Panel[]; templating: { list: { name: string; type: string; query?: string | { query: string } }[] } }
interface RuleGroups { groups: { name: string; rules: { alert: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[] }

const dashboard = async (): Promise<Dashboard> => JSON.parse(await readRepoText('deploy', 'grafana', 'dashboards', 'fairsweep.json')) as Dashboard;
const queries = (d: Dashboard): { where: string; expr: string }[] =>
  d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: expandGrafanaVariables(t.expr) })));

test('the dashboard has the panels operators need, each on the dashboard\'s datasource variable', async (t) => {
  const d = await dashboard();
  t.is(d.uid, 'fairsweep');
  const byTitle = new Map(d.panels.map((p) => [p.title, (p.targets ?? []).map((x) => x.expr).join('\n')]));
  const expect: [string, RegExp][] = [
    ['Trials by state', /sum by \(state\) \(fairsweep_trials\{/],
    ['Throughput', /rate\(fairsweep_trials_completed_total\[\$__rate_interval\]\)/],
    ['Trial duration quantiles', /histogram_quantile\(0\.99, sum by \(le\) \(rate\(fairsweep_trial_duration_seconds_bucket/],
    ['Queue depth', /fairsweep_queue_depth/],
    ['Worker utilisation', /^sum\(fairsweep_cluster_worker_busy_slots\) \/ clamp_min\(sum\(fairsweep_cluster_worker_slots\), 1\)$/],
    ['Worker utilisation over time', /^sum\(fairsweep_cluster_worker_busy_slots\)[^\n]*fairsweep_cluster_worker_slots[^\n]*\nfairsweep_worker_busy_slots \/ on \(instance, job\) fairsweep_worker_slots$/],
    ['Frontier size per sweep', /fairsweep_frontier_size/],
    ['Frontier hypervolume per sweep', /fairsweep_frontier_hypervolume/],
    ['JetStream storage', /fairsweep_jetstream_storage_bytes[^\n]*\n[^\n]*fairsweep_jetstream_storage_limit_bytes > 0/],
    ['Workers backing off', /fairsweep_worker_store_backoff_seconds/],
  ];
  for (const [title, re] of expect) t.regex(byTitle.get(title) ?? '', re, title);
  for (const p of d.panels.filter((x) => x.type !== 'row')) t.is(p.datasource?.uid, '${datasource}', p.title);
  t.deepEqual(d.templating.list.map((v) => v.name), ['datasource', 'sweep']);
  t.true(new Set(d.panels.map((p) => (p as unknown as { id: number }).id)).size === d.panels.length, 'panel ids are unique');
});

test('every dashboard and alert query parses and names only metrics the coordinator or workers export', async (t) => {
  const known = await exportedMetricNames();
  t.true(known.has('fairsweep_trial_duration_seconds_bucket') && known.has('fairsweep_worker_trials_total') && known.has('process_cpu_seconds_total'));
  const d = await dashboard();
  const all = queries(d);
  for (const v of d.templating.list) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const m = q ? /^label_values\((\w+),\s*\w+\)$/.exec(q) : null;
    if (v.type === 'query') all.push({ where: `variable ${v.name}`, expr: m?.[1] ?? `invalid variable query ${q}` });
  }
  const alerts = (await readRepoYaml('deploy', 'prometheus', 'alerts.yml')) as RuleGroups;
  const k8sRule = (await readRepoYaml('deploy', 'k8s', 'base', 'monitoring', 'prometheus-rule.yaml')) as { spec: RuleGroups };
  for (const [src, groups] of [['alerts.yml', alerts], ['PrometheusRule', k8sRule.spec]] as const) {
    for (const r of groups.groups.flatMap((g) => g.rules)) all.push({ where: `${src} ${r.alert}`, expr: r.expr });
  }
  t.true(all.length > 40, `${all.length} queries`);
  let named = 0;
  for (const { where, expr } of all) {
    t.notThrows(() => checkMetricNames(expr, known, where), where);
    named += metricNames(expr).length;
  }
  t.true(named >= all.length, 'every query selects at least one metric');
});

test('an unknown metric name, a misspelt one and a syntax error are caught', async (t) => {
  const known = await exportedMetricNames();
  t.throws(() => checkMetricNames('sum(rate(fairsweep_trials_done_total[5m]))', known, 'test'), { instanceOf: PromqlCheckError, message: /unknown metric fairsweep_trials_done_total/ });
  t.throws(() => checkMetricNames('histogram_quantile(0.9, sum by (le) (rate(fairsweep_trial_duration_bucket[5m])))', known, 'test'), { instanceOf: PromqlCheckError, message: /fairsweep_trial_duration_bucket/ });
  t.throws(() => checkMetricNames('sum(rate(fairsweep_trials_completed_total[5m])', known, 'test'), { instanceOf: PromqlCheckError, message: /syntax error/ });
  t.throws(() => expandGrafanaVariables('rate(x[$__nope])'), { instanceOf: PromqlCheckError, message: /unknown Grafana variable/ });
  t.notThrows(() => checkMetricNames('sum by (sweep) (fairsweep_queue_depth{sweep=~".*"})', known, 'test'));
});

test('promtool accepts the alert rules (file and PrometheusRule), their unit tests pass, and the Prometheus config is valid', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fairsweep-promtool-'));
  try {
    const checked = await exec('promtool', ['check', 'rules', repoPath('deploy', 'prometheus', 'alerts.yml')], { timeout: 60_000 });
    t.regex(checked.stdout, /SUCCESS: 9 rules found/);
    const k8sRule = (await readRepoYaml('deploy', 'k8s', 'base', 'monitoring', 'prometheus-rule.yaml')) as { spec: RuleGroups };
    await writeFile(join(dir, 'k8s-rules.yml'), stringify(k8sRule.spec));
    t.regex((await exec('promtool', ['check', 'rules', join(dir, 'k8s-rules.yml')], { timeout: 60_000 })).stdout, /SUCCESS/);
    const unit = await exec('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: repoPath('deploy', 'prometheus'), timeout: 120_000 });
    t.regex(unit.stdout + unit.stderr, /SUCCESS/);
    const config = await exec('promtool', ['check', 'config', '--syntax-only', repoPath('deploy', 'prometheus', 'prometheus.yml')], { timeout: 60_000 });
    t.regex(config.stdout + config.stderr, /SUCCESS/);
    const broken = structuredClone(k8sRule.spec);
    broken.groups[0]!.rules[0]!.expr = 'sum(rate(fairsweep_trials_failed_total[10m])';
    await writeFile(join(dir, 'broken.yml'), stringify(broken));
    await t.throwsAsync(exec('promtool', ['check', 'rules', join(dir, 'broken.yml')], { timeout: 60_000 }), { message: /parse error|unclosed|unexpected/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('every alert has a severity and a summary; the stalled, no-worker, failure and store-full alerts exist', async (t) => {
  const alerts = (await readRepoYaml('deploy', 'prometheus', 'alerts.yml')) as RuleGroups;
  const rules = alerts.groups.flatMap((g) => g.rules);
  for (const r of rules) {
    t.regex(r.labels?.severity ?? '', /^(critical|warning)$/, r.alert);
    t.truthy(r.annotations?.summary, r.alert);
  }
  for (const name of ['FairsweepNoWorkers', 'FairsweepSweepStalled', 'FairsweepTrialFailuresRising', 'FairsweepCoordinatorDown', 'FairsweepJetStreamStoreFilling', 'FairsweepResultsNotStored']) t.true(rules.some((r) => r.alert === name), name);
});

test('Grafana provisioning: the datasource and the dashboard folder match the compose mounts', async (t) => {
  const ds = (await readRepoYaml('deploy', 'grafana', 'provisioning', 'datasources', 'prometheus.yml')) as { datasources: { type: string; url: string }[] };
  t.is(ds.datasources[0]?.type, 'prometheus');
  t.is(ds.datasources[0]?.url, 'http://prometheus:9090');
  const provider = (await readRepoYaml('deploy', 'grafana', 'provisioning', 'dashboards', 'fairsweep.yml')) as { providers: { options: { path: string } }[] };
  const compose = (await readRepoYaml('deploy', 'compose', 'docker-compose.yml')) as { services: { grafana: { volumes: string[] } } };
  const dashboardsMount = compose.services.grafana.volumes.find((v) => v.startsWith('../grafana/dashboards:'));
  t.is(dashboardsMount?.split(':')[1], provider.providers[0]?.options.path);
});
