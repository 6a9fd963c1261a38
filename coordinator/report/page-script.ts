import { PAGE_CHART } from './page-chart.js';
import { PAGE_TABLES } from './page-tables.js';

/**
 * The browser code of report.html, run after echarts is loaded. It reads the embedded JSON and
 * draws the scatter of the chosen metric pair (configurations at their means with confidence
 * intervals, or, toggled, trials) with that pair's 2-D Pareto frontier, the sweep's frontier table,
 * the selected configuration's seeds or trial's per-group metrics, and the spec. Every frontier
 * comes precomputed in the data (`frontier_ids`, `pair_frontiers`, `configuration_*`): the page
 * only draws them. `window.fairsweepReport` exposes the chart and a few actions so the page can be
 * driven from a script.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var byId = {};
  data.trials.forEach(function (t) { byId[t.trial_id] = t; });
  var configById = {};
  data.configurations.forEach(function (c) { configById[c.configuration_id] = c; });
  var okTrials = data.trials.filter(function (t) { return t.status === 'ok'; });
  var failed = data.trials.filter(function (t) { return t.status === 'failed'; });
  var goals = {};
  data.axes.forEach(function (a) { goals[a.metric] = a.goal; });
  var state = { level: 'configuration', x: '', y: '', selected: null, frontier: [], colorBy: '', errorBars: 0, legend: [], points: 0 };

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  }
  function num(v) {
    if (typeof v !== 'number') return v === undefined || v === null ? '' : JSON.stringify(v);
    if (!isFinite(v)) return String(v);
    var a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }
  function val(v) { return typeof v === 'number' ? num(v) : JSON.stringify(v); }
  function paramText(t, keys) {
    return keys.map(function (k) { return k + '=' + val(t.params[k]); }).join(', ');
  }
  /** mean ± std [lo, hi], or the mean alone with "1 seed: no interval". */
  function stat(s) {
    if (!s) return '';
    if (s.std === null || !s.ci) return num(s.mean) + ' (n=' + s.n + ', no interval)';
    return num(s.mean) + ' ± ' + num(s.std) + ' [' + num(s.ci[0]) + ', ' + num(s.ci[1]) + ']';
  }
  function axisLabel(m) { return m + (goals[m] === 'min' ? ' (min)' : ' (max)'); }

  var axisIndex = {};
  data.axes.forEach(function (a, i) { axisIndex[a.metric] = i; });
  /**
   * Ids on the precomputed frontier of the pair x, y under the goals chosen now, at the level shown,
   * in frontier order; null when both axes show the same metric (no frontier is drawn then).
   */
  function pairFrontier(x, y) {
    if (x === y) return null;
    var key = axisIndex[x] < axisIndex[y] ? [x, goals[x], y, goals[y]] : [y, goals[y], x, goals[x]];
    var trialLevel = state.level === 'trial';
    var idx = (trialLevel ? data.pair_frontiers : data.configuration_pair_frontiers)[JSON.stringify(key)];
    if (!idx) throw new Error('no precomputed frontier for ' + JSON.stringify(key));
    return idx.map(function (i) { return trialLevel ? data.trials[i].trial_id : data.configurations[i].configuration_id; });
  }

  // ---- header -----------------------------------------------------------------------------
  document.title = 'fairsweep report: ' + data.title;
  $('title').textContent = data.title;
  var hv = data.hypervolume_configurations !== null ? ', hypervolume ' + num(data.hypervolume_configurations) : '';
  $('subtitle').textContent = 'sweep ' + data.sweep_id + ': ' + data.trials.length + ' trials (' + okTrials.length + ' ok, ' + failed.length +
    ' failed) in ' + data.configurations.length + ' configurations; configuration frontier ' + data.configuration_frontier_ids.length + ' on ' +
    data.objectives_ranked.map(function (o) { return o.metric + ' (' + o.goal + (o.aggregate !== 'mean' ? ', ' + o.aggregate : '') + ')'; }).join(', ') + hv +
    '; generated ' + data.generated_at;
  $('protocol').textContent = data.protocol + (data.selection_note ? ' — ' + data.selection_note : '');
  if (data.selection === 'oracle') $('protocol').classList.add('oracle');
  else if (data.selection_note) $('protocol').classList.add('warn');

  // ---- selectors --------------------------------------------------------------------------
  var xSel = $('x-metric'), ySel = $('y-metric');
  data.axes.forEach(function (a) {
    var label = a.metric + (data.objectives.some(function (o) { return o.metric === a.metric; }) ? ' *' : '') +
      (data.objectives_ranked.some(function (o) { return o.selection_metric === a.metric && o.metric !== a.metric; }) ? ' (selection)' : '');
    var ox = el('option', label); ox.value = a.metric; xSel.appendChild(ox);
    var oy = el('option', label); oy.value = a.metric; ySel.appendChild(oy);
  });
  var xGoal = $('x-goal'), yGoal = $('y-goal');
  var colorSel = $('color-by');
  data.varying_params.forEach(function (k) { var o = el('option', k); o.value = k; colorSel.appendChild(o); });

  // ---- chart ------------------------------------------------------------------------------
  var chart = echarts.init($('chart'), null, { renderer: 'canvas' });
  window.addEventListener('resize', function () { chart.resize(); });

  function tooltip(p) {
    var id = p.value ? p.value[2] : (p.data && p.data.value ? p.data.value[2] : null);
    var t = byId[id], c = configById[id];
    var onFront = state.frontier.indexOf(id) >= 0 ? ' (frontier)' : '';
    var lines = [];
    if (t) {
      lines.push('<b>' + esc(t.trial_id) + '</b>' + onFront);
      Object.keys(t.params).sort().forEach(function (k) { lines.push(esc(k) + ' = ' + esc(val(t.params[k]))); });
      lines.push('seed = ' + esc(t.seed));
      lines.push('<hr>');
      Object.keys(t.metrics).sort().forEach(function (k) {
        var s = esc(k) + ' = ' + esc(num(t.metrics[k]));
        lines.push(k === state.x || k === state.y ? '<b>' + s + '</b>' : s);
      });
    } else if (c) {
      lines.push('<b>configuration ' + esc(c.configuration_id) + '</b>' + onFront);
      Object.keys(c.params).sort().forEach(function (k) { lines.push(esc(k) + ' = ' + esc(val(c.params[k]))); });
      lines.push('seeds ' + esc(c.seeds.join(', ')) + (c.failed_seeds.length ? '; failed: ' + esc(c.failed_seeds.join(', ')) : ''));
      lines.push('<hr>');
      [state.x, state.y].forEach(function (k) { lines.push('<b>' + esc(k) + ' = ' + esc(stat(c.stats[k])) + '</b>'); });
    }
    return lines.length ? '<div class="tip">' + lines.join('<br>') + '</div>' : '';
  }
${PAGE_CHART}
  chart.on('click', function (p) {
    var id = p && (p.value ? p.value[2] : p.data && p.data.value ? p.data.value[2] : null);
    if (id) select(String(id));
  });

  function setAxes(x, y) {
    if (!goals[x] || !goals[y]) throw new Error('unknown metric: ' + (!goals[x] ? x : y));
    state.x = x; state.y = y;
    xSel.value = x; ySel.value = y;
    xGoal.value = goals[x]; yGoal.value = goals[y];
    draw();
  }
  function setLevel(level) {
    if (level !== 'trial' && level !== 'configuration') throw new Error('unknown level: ' + level);
    state.level = level;
    $('per-trial').checked = level === 'trial';
    state.selected = null;
    fillFrontierTable();
    draw();
    var first = level === 'trial' ? data.frontier_ids[0] : data.configuration_frontier_ids[0];
    if (first) select(first);
  }
  function setColor(param) {
    if (param && data.varying_params.indexOf(param) < 0) throw new Error('not a swept parameter: ' + param);
    state.colorBy = param || '';
    colorSel.value = state.colorBy;
    draw();
  }
  xSel.addEventListener('change', function () { setAxes(xSel.value, state.y); });
  ySel.addEventListener('change', function () { setAxes(state.x, ySel.value); });
  xGoal.addEventListener('change', function () { goals[state.x] = xGoal.value; draw(); });
  yGoal.addEventListener('change', function () { goals[state.y] = yGoal.value; draw(); });
  colorSel.addEventListener('change', function () { setColor(colorSel.value); });
  $('per-trial').addEventListener('change', function () { setLevel($('per-trial').checked ? 'trial' : 'configuration'); });
${PAGE_TABLES}
  // ---- spec -------------------------------------------------------------------------------
  $('spec').textContent = data.spec_yaml;

  fillFailed();
  var first = data.axes[0], second = data.axes[1] || data.axes[0];
  if (first && second) {
    setAxes(first.metric, second.metric);
    setLevel('configuration');
  } else {
    fillFrontierTable();
    $('plot-note').textContent = 'no numeric metrics to plot';
  }

  window.fairsweepReport = {
    chart: chart,
    data: data,
    setAxes: setAxes,
    setLevel: setLevel,
    setColor: setColor,
    select: select,
    /** What is drawn: points, frontier and dominated counts, frontier ids, error bars, legend entries, level and axes. */
    marks: function () {
      return { level: state.level, points: state.points, dominated: state.points - state.frontier.length, frontier: state.frontier.length, frontierIds: state.frontier.slice(),
        errorBars: state.errorBars, legend: state.legend.slice(), x: state.x, y: state.y };
    }
  };
  document.body.dataset.ready = 'true';
})();
`;
