import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import type { Browser, Page } from 'puppeteer-core';
import { buildReportData, loadEcharts, pairFrontiers, pairKey, renderReportHtml } from '../coordinator/report/index.js';
import { readResultsFile, type ResultLine } from '../coordinator/results/index.js';
import { CLI, uniqueName } from './helpers/cluster.js';
import { launchChromium } from './helpers/browser.js';

const exec = promisify(execFile);

type Row = ResultLine;
interface Marks {
  level: string;
  points: number;
  errorBars: number;
  legend: string[];
  dominated: number;
  frontier: number;
  frontierIds: string[];
  x: string;
  y: string;
}

// A small IRM sweep (8 trials, seconds of training); the comment checks that `</script>` in the
// spec cannot break out of the page's embedded JSON.
const SPEC = (name: string): string => `# closing tags in a comment: </script><script>document.title = "broken"</script>
name: ${name}
method: irm
dataset: { name: spurious, n: 600, d: 2, env_p_maj: [0.95, 0.7], sigma_c: 0.8, test_p_maj: 0.1 }
params: { steps: 120, lr: 0.02, hidden: [8], l2: 0.0001, penalty_anneal_iters: 30 }
grid:
  penalty_weight: [0, 10, 1000, 10000]
seeds: [0, 1]
objectives:
  - { metric: test/accuracy, goal: max }
  - { metric: test/demographic_parity_difference, goal: min }
`;

let dir = '';
let specPath = '';
let rows: Row[] = [];
let frontierIds: string[] = [];
let configFrontier: { configuration_id: string; seeds: number[] }[] = [];
let browser: Browser | undefined;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fairsweep-report-'));
  specPath = join(dir, 'spec.yaml');
  await writeFile(specPath, SPEC(uniqueName('report')));
  const { stdout } = await exec(process.execPath, [CLI, 'run', specPath, '--workers', '2', '--out', join(dir, 'out'), '--json'], { timeout: 240_000 });
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { report?: string; state?: string };
  if (summary.state !== 'completed' || summary.report !== join(dir, 'out', 'report.html')) throw new Error(`unexpected run summary: ${stdout}`);
  rows = await readResultsFile(join(dir, 'out', 'results.jsonl'));
  const frontier = JSON.parse(await readFile(join(dir, 'out', 'frontier-trials.json'), 'utf8')) as { frontier: { trial_id: string }[] };
  frontierIds = frontier.frontier.map((r) => r.trial_id);
  configFrontier = (JSON.parse(await readFile(join(dir, 'out', 'frontier.json'), 'utf8')) as { level: string; frontier: { configuration_id: string; seeds: number[] }[] }).frontier;
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens a report; every request other than the page itself is refused and recorded. */
async function open(path: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  if (!browser) throw new Error('no browser');
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  const url = pathToFileURL(path).href;
  const requests: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (req.url() === url) void req.continue();
    else {
      requests.push(req.url());
      void req.abort();
    }
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return { page, requests, errors };
}

const marks = (page: Page): Promise<Marks> => page.evaluate('window.fairsweepReport.marks()') as Promise<Marks>;
/** Switches the page to one point per trial, as the toggle does. */
async function perTrial(page: Page): Promise<void> {
  await page.click('#per-trial');
  t0(await marks(page));
}
function t0(m: Marks): void {
  if (m.level !== 'trial') throw new Error(`the toggle did not switch to trials: ${JSON.stringify(m)}`);
}

/** Brute-force 2-D frontier: rows no other row beats on one metric while matching it on the other. */
function bruteFrontier(all: readonly { trial_id: string; status: string; metrics: Readonly<Record<string, number>> }[], x: string, y: string, gx: 'max' | 'min', gy: 'max' | 'min'): string[] {
  const o = (v: number, g: 'max' | 'min'): number => (g === 'min' ? -v : v);
  const pts = all.filter((r) => r.status === 'ok').map((r) => ({ id: r.trial_id, x: o(r.metrics[x] ?? NaN, gx), y: o(r.metrics[y] ?? NaN, gy) }));
  return pts.filter((p) => !pts.some((q) => q.x >= p.x && q.y >= p.y && (q.x > p.x || q.y > p.y))).map((p) => p.id).sort();
}

test.serial('report.html: one mark per trial, the sweep frontier highlighted, no network, pair switch, click to select', async (t) => {
  const { page, requests, errors } = await open(join(dir, 'out', 'report.html'));
  const ok = rows.filter((r) => r.status === 'ok');
  t.is(ok.length, 8);
  await perTrial(page);

  // Default pair = the sweep's objectives: the highlighted points are exactly frontier.json.
  const m = await marks(page);
  t.is(m.x, 'test/accuracy');
  t.is(m.y, 'test/demographic_parity_difference');
  t.is(m.dominated + m.frontier, ok.length);
  t.is(m.frontier, frontierIds.length);
  t.deepEqual([...m.frontierIds].sort(), [...frontierIds].sort());
  t.deepEqual([...m.frontierIds].sort(), bruteFrontier(rows, m.x, m.y, 'max', 'min'));
  t.is(await page.$$eval('#frontier-table tbody tr', (trs) => trs.length), frontierIds.length);
  // The spec is shown verbatim, closing tags included, and did not run as markup.
  t.true(((await page.$eval('#spec', (e) => e.textContent)) ?? '').includes('</script><script>document.title'));
  t.regex(await page.title(), /^fairsweep report: report-/);

  // Switch the pair with the selectors: worst-group accuracy (max) against accuracy (max).
  await page.select('#y-metric', 'test/worst_group_accuracy');
  const m2 = await marks(page);
  t.is(m2.y, 'test/worst_group_accuracy');
  t.is(await page.$eval('#y-goal', (e) => (e as unknown as { value: string }).value), 'max');
  t.is(m2.dominated + m2.frontier, ok.length);
  t.deepEqual([...m2.frontierIds].sort(), bruteFrontier(rows, 'test/accuracy', 'test/worst_group_accuracy', 'max', 'max'));
  // Flipping the goal of y recomputes the frontier.
  await page.select('#y-goal', 'min');
  t.deepEqual([...(await marks(page)).frontierIds].sort(), bruteFrontier(rows, 'test/accuracy', 'test/worst_group_accuracy', 'max', 'min'));
  await page.select('#y-goal', 'max');

  // Click a plotted point: the trial's per-group metrics appear.
  const target = ok.find((r) => !m2.frontierIds.includes(r.trial_id)) ?? ok[0]!;
  const xy = (await page.evaluate(
    `(() => { const c = window.fairsweepReport.chart; return c.convertToPixel({ seriesIndex: 0 }, [${target.metrics['test/accuracy']}, ${target.metrics['test/worst_group_accuracy']}]); })()`,
  )) as [number, number];
  const box = await (await page.$('#chart'))!.boundingBox();
  // Hovering shows the trial's params and metrics in a tooltip.
  await page.mouse.move(box!.x + xy[0], box!.y + xy[1]);
  await page.waitForFunction(`document.querySelector('#chart').innerText.includes(${JSON.stringify(target.trial_id)})`, { timeout: 10_000 });
  const tip = (await page.$eval('#chart', (e) => (e as unknown as { innerText: string }).innerText));
  t.true(tip.includes(`penalty_weight = ${String(target.params.penalty_weight)}`), tip);
  t.true(tip.includes('test/accuracy = '), tip);
  await page.mouse.click(box!.x + xy[0], box!.y + xy[1]);
  await page.waitForFunction(`document.querySelector('#trial h3')?.textContent === ${JSON.stringify(target.trial_id)}`, { timeout: 10_000 });
  t.is(await page.$$eval('#trial table.groups tbody tr', (trs) => trs.length), target.group_metrics.length);
  t.true(target.group_metrics.length > 0);

  // Click a frontier table row, or reach one with the keyboard.
  await page.click(`#frontier-table tbody tr:nth-child(2)`);
  t.is(await page.$eval('#trial h3', (e) => e.textContent), frontierIds[1]);
  await page.focus(`#frontier-table tbody tr:nth-child(1)`);
  await page.keyboard.press('Enter');
  t.is(await page.$eval('#trial h3', (e) => e.textContent), frontierIds[0]);
  await page.click(`#frontier-table tbody tr:nth-child(2)`);

  t.deepEqual(requests, [], 'the report loads nothing');
  t.deepEqual(errors, []);
  await page.close();
});

test.serial('fairsweep report RESULTS --spec SPEC writes the same frontier offline', async (t) => {
  const out = join(dir, 'offline', 'report.html');
  const { stdout } = await exec(process.execPath, [CLI, 'report', join(dir, 'out', 'results.jsonl'), '--spec', specPath, '--out', out], { timeout: 60_000 });
  t.is(stdout.trim(), out);
  const html = await readFile(out, 'utf8');
  t.false(/<script[^>]+src=|<link[^>]+href=/i.test(html), 'no external script or stylesheet');
  const { page, requests } = await open(out);
  t.deepEqual((await marks(page)).frontierIds, configFrontier.map((c) => c.configuration_id));
  await perTrial(page);
  const m = await marks(page);
  t.deepEqual([...m.frontierIds].sort(), [...frontierIds].sort());
  t.is(m.dominated + m.frontier, rows.filter((r) => r.status === 'ok').length);
  t.deepEqual(requests, []);
  await page.close();
});

test.serial('fairsweep report explains what it needs', async (t) => {
  const err = await exec(process.execPath, [CLI, 'report', join(dir, 'out', 'results.jsonl')], { env: { ...process.env, FAIRSWEEP_COORDINATOR: '' } }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  t.is(err?.code, 1);
  t.regex(err?.stderr ?? '', /give --spec SPEC\.yaml .* or --coordinator HOST:PORT/);
  const bad = join(dir, 'bad.jsonl');
  await writeFile(bad, '{"trial_id":"a","metrics":{"m":1}}\nnot json\n');
  const err2 = await exec(process.execPath, [CLI, 'report', bad, '--spec', specPath, '--out', join(dir, 'bad.html')]).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  t.is(err2?.code, 1);
  t.regex(err2?.stderr ?? '', /bad\.jsonl line 2: not valid JSON/);
});

test('pairFrontiers: each pair of distinct axes, under each choice of goals, is the brute-force frontier of the ok trials with finite values on both', (t) => {
  const metric = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity) }, { weight: 1, arbitrary: fc.constant(undefined) });
  const trialsArb = fc.array(fc.record({ ok: fc.boolean(), a: metric, b: metric, c: metric }), { maxLength: 30 }).map((ts) =>
    ts.map((x, i) => ({
      trial_id: `t${String(i).padStart(2, '0')}`,
      status: x.ok || i % 5 !== 0 ? 'ok' : 'failed',
      metrics: Object.fromEntries(Object.entries({ a: x.a, b: x.b, c: x.c }).filter((e): e is [string, number] => e[1] !== undefined)),
    })),
  );
  fc.assert(
    fc.property(trialsArb, (trials) => {
      const axes = ['a', 'b', 'c'];
      const pf = pairFrontiers(trials, axes);
      if (Object.keys(pf).length !== 3 * 4) return false;
      for (const [x, y] of [['a', 'b'], ['a', 'c'], ['b', 'c']] as const) {
        for (const gx of ['max', 'min'] as const) {
          for (const gy of ['max', 'min'] as const) {
            const plottable = trials.filter((r) => Number.isFinite(r.metrics[x]) && Number.isFinite(r.metrics[y]));
            const got = (pf[pairKey(x, gx, y, gy)] ?? []).map((i) => trials[i]!.trial_id).sort();
            if (JSON.stringify(got) !== JSON.stringify(bruteFrontier(plottable, x, y, gx, gy))) return false;
          }
        }
      }
      return true;
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test.serial('the page draws the frontier the data carries and computes none: a planted frontier is drawn as given; one metric on both axes draws none', async (t) => {
  const x = 'test/accuracy';
  const y = 'test/demographic_parity_difference';
  const data = buildReportData({ sweepId: 'planted', specYaml: '', trials: rows, frontier: { objectives: [{ metric: x, goal: 'max' }, { metric: y, goal: 'min' }], frontier: [], hypervolume: null, reference: null } });
  // Two trials that are not on the real frontier of the pair, drawn as its frontier because the data says so.
  const planted = rows.flatMap((r, i) => (r.status === 'ok' && !frontierIds.includes(r.trial_id) ? [i] : [])).slice(0, 2);
  t.is(planted.length, 2);
  data.pair_frontiers[pairKey(x, 'max', y, 'min')] = planted;
  const path = join(dir, 'planted.html');
  await writeFile(path, renderReportHtml(data, await loadEcharts()));
  const { page, errors } = await open(path);
  await page.evaluate(`window.fairsweepReport.setLevel('trial')`);
  const m = await marks(page);
  t.deepEqual([m.x, m.y], [x, y]);
  t.deepEqual([...m.frontierIds].sort(), planted.map((i) => rows[i]!.trial_id).sort());
  t.is(m.dominated + m.frontier, rows.filter((r) => r.status === 'ok').length);
  await page.evaluate(`window.fairsweepReport.setAxes(${JSON.stringify(x)}, ${JSON.stringify(x)})`);
  const same = await marks(page);
  t.is(same.frontier, 0);
  t.is(same.dominated, rows.filter((r) => r.status === 'ok').length);
  t.regex((await page.$eval('#plot-note', (e) => e.textContent)) ?? '', /no frontier: choose two different metrics/);
  t.deepEqual(errors, []);
  await page.close();
});

test.serial('a trial with artifacts (command trials under fairsweep run) links them from its panel', async (t) => {
  const withFiles = rows.map((r) => ({ ...r, artifacts: [`artifacts/${r.trial_id}/a1/log.txt`, `artifacts/${r.trial_id}/a1/output/predictions.csv`] }));
  const objectives = [{ metric: 'test/accuracy', goal: 'max' as const }, { metric: 'test/demographic_parity_difference', goal: 'min' as const }];
  const data = buildReportData({ sweepId: 'artifacts', specYaml: '', trials: withFiles, frontier: { objectives, frontier: [], hypervolume: null, reference: null }, objectives });
  const path = join(dir, 'artifacts.html');
  await writeFile(path, renderReportHtml(data, await loadEcharts()));
  const { page, errors } = await open(path);
  await page.click('#frontier-table tbody tr:nth-child(1)');
  // The configuration opens its first ok seed: that trial's files are linked.
  const shown = ((await page.$eval('#seed-detail h3', (e) => e.textContent)) ?? '').split(': ')[1] ?? '';
  t.true(rows.some((r) => r.trial_id === shown), shown);
  const links = await page.$$eval('#seed-detail p.artifacts a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  t.deepEqual(links, [
    ['a1/log.txt', `artifacts/${shown}/a1/log.txt`],
    ['a1/output/predictions.csv', `artifacts/${shown}/a1/output/predictions.csv`],
  ]);
  t.deepEqual(errors, []);
  await page.close();

  // Without artifacts (a built-in method's sweep) no link is shown.
  const plain = join(dir, 'plain.html');
  await writeFile(plain, renderReportHtml(buildReportData({ sweepId: 'plain', specYaml: '', trials: rows, frontier: { objectives, frontier: [], hypervolume: null, reference: null }, objectives }), await loadEcharts()));
  const p = await open(plain);
  await p.page.click('#frontier-table tbody tr:nth-child(1)');
  t.is(await p.page.$$eval('#trial p.artifacts', (ps) => ps.length), 0);
  await p.page.close();
});

test.serial('report.html by default: configurations at their means with error bars on both axes, the configuration frontier, colour legend, seeds of the selection, protocol in the header', async (t) => {
  const { page, errors, requests } = await open(join(dir, 'out', 'report.html'));
  const m = await marks(page);
  t.is(m.level, 'configuration');
  t.is(m.points, 4, 'one point per configuration (4 penalty weights, 2 seeds each)');
  t.is(m.errorBars, 4, 'every configuration has two seeds, so an interval on each axis');
  t.deepEqual(m.frontierIds, configFrontier.map((c) => c.configuration_id), 'the objectives pair draws frontier.json');
  t.deepEqual(m.legend, ['dominated', 'frontier']);
  t.is(await page.$$eval('#frontier-table tbody tr', (trs) => trs.length), configFrontier.length);
  // The error bars are drawn: the custom series holds one item per configuration with an interval.
  t.is(await page.evaluate(`window.fairsweepReport.chart.getOption().series.find((s) => s.id === 'error-bars').data.length`), 4);
  // Colour by a swept parameter: one legend entry per value.
  await page.select('#color-by', 'penalty_weight');
  const coloured = await marks(page);
  t.deepEqual([...coloured.legend].sort(), ['penalty_weight=0', 'penalty_weight=10', 'penalty_weight=1000', 'penalty_weight=10000']);
  // The selected configuration lists its seeds with their values and the mean ± std [CI] row.
  await page.click('#frontier-table tbody tr:nth-child(1)');
  t.is(await page.$eval('#trial h3', (e) => e.textContent), configFrontier[0]?.configuration_id);
  t.deepEqual(await page.$$eval('#trial table.seeds tbody tr td:first-child', (tds) => tds.map((d) => d.textContent)), ['0', '1', 'mean ± std [95 % CI]']);
  // The header states the protocol and warns that the objectives are test metrics with no selection.
  t.regex((await page.$eval('#protocol', (e) => e.textContent)) ?? '', /selection: none .* test metrics and the spec names no selection/);
  t.true(await page.$eval('#protocol', (e) => e.classList.contains('warn')));
  const shot = join(dir, 'report.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.true((await readFile(shot)).subarray(1, 4).toString() === 'PNG');
  const docsShot = process.env.FAIRSWEEP_REPORT_SCREENSHOT;
  if (docsShot) {
    await mkdir(dirname(docsShot), { recursive: true });
    await copyFile(shot, docsShot);
  }
  // Back to one point per trial and again to configurations.
  await page.click('#per-trial');
  t.is((await marks(page)).points, 8);
  t.is((await marks(page)).errorBars, 0);
  await page.click('#per-trial');
  t.is((await marks(page)).points, 4);
  t.deepEqual(requests, []);
  t.deepEqual(errors, []);
  await page.close();
});

test.serial('selection in the report: oracle is labelled in the header; training-domain ranks on trainval and reports test beside; a failed seed is shown', async (t) => {
  const spec = (await readFile(specPath, 'utf8')).replace('objectives:', 'selection: SELECTION\nobjectives:');
  const failedSeed: Row = { ...rows[0]!, trial_id: 'failed-seed', seed: 7, status: 'failed', metrics: {}, group_metrics: [], error: 'out of memory' };
  const prunedSeed: Row = { ...rows[0]!, trial_id: 'pruned-seed', seed: 8, status: 'pruned', step: 10, group_metrics: [], error: 'stopped early at rung 0 (step 10)' };
  const trials = [...rows, failedSeed, prunedSeed];
  const objectives = [{ metric: 'test/accuracy', goal: 'max' as const }, { metric: 'test/demographic_parity_difference', goal: 'min' as const }];
  const frontier = { objectives, frontier: [], hypervolume: null, reference: null };
  const oracle = join(dir, 'oracle.html');
  await writeFile(oracle, renderReportHtml(buildReportData({ sweepId: 'o', specYaml: spec.replace('SELECTION', 'oracle'), trials, frontier, objectives, selection: 'oracle' }), await loadEcharts()));
  const o = await open(oracle);
  t.regex((await o.page.$eval('#protocol', (e) => e.textContent)) ?? '', /^selection: oracle .*oracle selection: configurations are chosen on the test environment/);
  t.true(await o.page.$eval('#protocol', (e) => e.classList.contains('oracle')));
  await o.page.close();

  const td = join(dir, 'training-domain.html');
  await writeFile(td, renderReportHtml(buildReportData({ sweepId: 'td', specYaml: spec.replace('SELECTION', 'training-domain'), trials, frontier, objectives, selection: 'training-domain' }), await loadEcharts()));
  const p = await open(td);
  const heads = await p.page.$$eval('#frontier-table thead th', (ths) => ths.map((h) => h.textContent));
  t.true(heads.includes('trainval/accuracy (max, mean)'), heads.join(' | '));
  t.true(heads.includes('test/accuracy (reported)'), heads.join(' | '));
  t.regex((await p.page.$eval('#protocol', (e) => e.textContent)) ?? '', /^selection: training-domain \(ranked on trainval\/ metrics, test reported beside\)$/);
  // The plot opens on the metrics ranked on, so the frontier drawn is the one chosen on validation rows, not on test.
  const opened = await marks(p.page);
  t.deepEqual([opened.x, opened.y], ['trainval/accuracy', 'trainval/demographic_parity_difference']);
  t.is(await p.page.$eval('#y-goal', (e) => (e as unknown as { value: string }).value), 'min');
  t.deepEqual(opened.frontierIds, ((await p.page.evaluate('window.fairsweepReport.data')) as { configuration_frontier_ids: string[] }).configuration_frontier_ids);
  // The configuration with the failed seed says so in the table of seeds, and its mean leaves the seed out.
  const data = (await p.page.evaluate('window.fairsweepReport.data')) as { configurations: { configuration_id: string; failed_seeds: number[]; seeds: number[] }[] };
  const hit = data.configurations.find((c) => c.failed_seeds.includes(7));
  t.deepEqual(hit?.seeds, [0, 1]);
  await p.page.evaluate(`window.fairsweepReport.select(${JSON.stringify(hit?.configuration_id)})`);
  t.regex((await p.page.$eval('#trial', (e) => e.textContent)) ?? '', /2 ok seed\(s\), 1 failed \(not in the means\)/);
  t.regex((await p.page.$eval('#trial table.seeds', (e) => e.textContent)) ?? '', /failed: out of memory/);
  // A pruned seed (stopped early) is listed apart: neither ok (its mean) nor failed.
  t.regex((await p.page.$eval('#trial table.seeds', (e) => e.textContent)) ?? '', /pruned at step 10/);
  t.deepEqual(p.errors, []);
  await p.page.close();
});
