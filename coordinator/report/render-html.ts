import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PAGE_SCRIPT } from './page-script.js';
import type { ReportData } from './report-data.js';
import { ReportError } from './report-error.js';

/** JSON safe inside a <script> element: no `<`, `>` or `&` that could end it or open a comment. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Script source safe to inline: a literal `</script` would end the element early. */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

let echartsSource: Promise<string> | undefined;

/** echarts' minified browser build, read from node_modules once per process. */
export function loadEcharts(): Promise<string> {
  echartsSource ??= (async () => {
    const require = createRequire(import.meta.url);
    let path: string;
    try {
      path = require.resolve('echarts/dist/echarts.min.js');
    } catch (err) {
      throw new ReportError('the report needs the npm package "echarts"; run `npm install` in the fairsweep directory', { cause: err });
    }
    return readFile(path, 'utf8');
  })();
  return echartsSource;
}

const STYLE = `
  :root { --fg: #1f2933; --muted: #697586; --line: #d9dee5; --accent: #d9480f; --sel: #e7f0fb; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
  header { padding: 16px 24px 8px; border-bottom: 1px solid var(--line); }
  h1 { margin: 0 0 4px; font-size: 20px; }
  h2 { font-size: 16px; margin: 0 0 8px; }
  h3 { font-size: 14px; margin: 0 0 4px; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px 24px; padding: 16px 24px; }
  section { min-width: 0; }
  .wide { grid-column: 1 / -1; }
  .muted, #subtitle, #plot-note { color: var(--muted); }
  .controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin-bottom: 6px; }
  select { font: inherit; padding: 2px 4px; max-width: 320px; }
  #chart { width: 100%; height: 460px; border: 1px solid var(--line); border-radius: 4px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
  th { background: #f5f7fa; position: sticky; top: 0; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
  #protocol { margin-top: 4px; }
  #protocol.warn { color: #a61e4d; font-weight: 600; }
  #protocol.oracle { color: #e67700; font-weight: 600; }
  table.seeds tbody tr { cursor: pointer; }
  #frontier-table tbody tr { cursor: pointer; }
  #frontier-table tbody tr:hover { background: #f8f9fb; }
  #frontier-table tbody tr.selected { background: var(--sel); }
  .scroll { overflow: auto; max-height: 420px; border: 1px solid var(--line); border-radius: 4px; }
  pre { margin: 0; padding: 10px; background: #f5f7fa; border: 1px solid var(--line); border-radius: 4px; overflow: auto; font-size: 12px; }
  .tip { max-width: 420px; white-space: normal; }
  .tip hr { border: 0; border-top: 1px solid var(--line); margin: 4px 0; }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
`;

/** The whole page: styles, echarts, the data and the page script inlined; it loads nothing. */
export function renderReportHtml(data: ReportData, echarts: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>fairsweep report</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1 id="title"></h1>
  <div id="subtitle"></div>
  <div id="protocol"></div>
</header>
<main>
  <section>
    <h2>Configurations and trials</h2>
    <div class="controls">
      <label><input type="checkbox" id="per-trial"> per trial (one point per seed)</label>
      <label>colour by <select id="color-by" aria-label="colour points by a swept parameter"><option value="">frontier / dominated</option></select></label>
    </div>
    <div class="controls">
      <label>x <select id="x-metric" aria-label="x axis metric"></select></label>
      <select id="x-goal" aria-label="x axis goal"><option value="max">max</option><option value="min">min</option></select>
      <label>y <select id="y-metric" aria-label="y axis metric"></select></label>
      <select id="y-goal" aria-label="y axis goal"><option value="max">max</option><option value="min">min</option></select>
    </div>
    <div id="chart"></div>
    <div id="plot-note"></div>
    <div class="muted">* an objective of the sweep. A configuration is drawn at its means over seeds, with confidence intervals as error bars; the frontier drawn is the 2-D frontier of the pair shown; click a point for its seeds and per-group metrics.</div>
  </section>
  <section>
    <h2>Selected</h2>
    <div id="trial" class="muted">Click a point or a frontier row.</div>
  </section>
  <section class="wide">
    <h2 id="frontier-heading">Frontier of the sweep</h2>
    <div class="scroll"><table id="frontier-table"></table></div>
    <div id="failed" hidden><h3>Failed trials</h3><ul id="failed-list" class="mono"></ul></div>
  </section>
  <section class="wide">
    <h2>Spec</h2>
    <pre id="spec"></pre>
  </section>
</main>
<script type="application/json" id="report-data">${scriptSafeJson(data)}</script>
<script>${inlineScript(echarts)}</script>
<script>${inlineScript(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}
