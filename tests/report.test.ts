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
let browser: Browser | undefined;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fairsweep-report-'));
  specPath = join(dir, 'spec.yaml');
  await writeFile(specPath, SPEC(uniqueName('report')));
  const { stdout } = await exec(process.execPath, [CLI, 'run', specPath, '--workers', '2', '--out', join(dir, 'out'), '--json'], { timeout: 240_000 });
  const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { report?: string; state?: string };
  if (summary.state !== 'completed' || summary.report !== join(dir, 'out', 'report.html')) throw new Error(`unexpected run summary: ${stdout}`);
  rows = await readResultsFile(join(dir, 'out', 'results.jsonl'));
  const frontier = JSON.parse(await readFile(join(dir, 'out', 'frontier.json'), 'utf8')) as { frontier: { trial_id: string }[] };
  frontierIds = frontier.frontier.map((r) => r.trial_id);
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

  const shot = join(dir, 'report.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.true((await readFile(shot)).subarray(1, 4).toString() === 'PNG');
  const docsShot = process.env.FAIRSWEEP_REPORT_SCREENSHOT;
  if (docsShot) {
    await mkdir(dirname(docsShot), { recursive: true });
    await copyFile(shot, docsShot);
  }
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
  const withFiles = rows.map((r) => (r.trial_id === frontierIds[0] ? { ...r, artifacts: [`artifacts/${r.trial_id}/a1/log.txt`, `artifacts/${r.trial_id}/a1/output/predictions.csv`] } : r));
  const data = buildReportData({ sweepId: 'artifacts', specYaml: '', trials: withFiles, frontier: { objectives: [{ metric: 'test/accuracy', goal: 'max' }, { metric: 'test/demographic_parity_difference', goal: 'min' }], frontier: frontierIds.map((id) => ({ trial_id: id, values: [] })), hypervolume: null, reference: null } });
  const path = join(dir, 'artifacts.html');
  await writeFile(path, renderReportHtml(data, await loadEcharts()));
  const { page, errors } = await open(path);
  await page.click(`#frontier-table tbody tr:nth-child(1)`);
  t.is(await page.$eval('#trial h3', (e) => e.textContent), frontierIds[0]);
  const links = await page.$$eval('#trial p.artifacts a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  t.deepEqual(links, [
    ['a1/log.txt', `artifacts/${frontierIds[0]}/a1/log.txt`],
    ['a1/output/predictions.csv', `artifacts/${frontierIds[0]}/a1/output/predictions.csv`],
  ]);
  await page.click(`#frontier-table tbody tr:nth-child(2)`);
  t.is(await page.$$eval('#trial p.artifacts', (ps) => ps.length), 0, 'a trial without artifacts shows none');
  t.deepEqual(errors, []);
  await page.close();
});
