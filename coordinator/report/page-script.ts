/**
 * The browser code of report.html, run after echarts is loaded. It reads the embedded JSON, draws
 * the scatter of the chosen metric pair with that pair's 2-D Pareto frontier, the sweep's frontier
 * table, the selected trial's per-group metrics and the spec. Every frontier comes precomputed in
 * the data (`frontier_ids`, `pair_frontiers`, see pair-frontiers.ts): the page only draws them.
 * `window.fairsweepReport` exposes the chart and a few actions so the page can be driven from a script.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var byId = {};
  data.trials.forEach(function (t) { byId[t.trial_id] = t; });
  var okTrials = data.trials.filter(function (t) { return t.status === 'ok'; });
  var failed = data.trials.filter(function (t) { return t.status !== 'ok'; });
  var goals = {};
  data.axes.forEach(function (a) { goals[a.metric] = a.goal; });
  var state = { x: '', y: '', selected: null, frontier: [] };

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
  function axisLabel(m) { return m + (goals[m] === 'min' ? ' (min)' : ' (max)'); }

  var axisIndex = {};
  data.axes.forEach(function (a, i) { axisIndex[a.metric] = i; });
  /**
   * Trial ids on the precomputed frontier of the pair x, y under the goals chosen now, in frontier
   * order; null when both axes show the same metric (no frontier is drawn then).
   */
  function pairFrontier(x, y) {
    if (x === y) return null;
    var key = axisIndex[x] < axisIndex[y] ? [x, goals[x], y, goals[y]] : [y, goals[y], x, goals[x]];
    var idx = data.pair_frontiers[JSON.stringify(key)];
    if (!idx) throw new Error('no precomputed frontier for ' + JSON.stringify(key));
    return idx.map(function (i) { return data.trials[i].trial_id; });
  }

  // ---- header -----------------------------------------------------------------------------
  document.title = 'fairsweep report: ' + data.title;
  $('title').textContent = data.title;
  var hv = data.hypervolume !== null ? ', hypervolume ' + num(data.hypervolume) : '';
  $('subtitle').textContent = 'sweep ' + data.sweep_id + ': ' + data.trials.length + ' trials (' + okTrials.length + ' ok, ' + failed.length +
    ' failed), frontier ' + data.frontier_ids.length + ' on ' + data.objectives.map(function (o) { return o.metric + ' (' + o.goal + ')'; }).join(', ') + hv +
    '; generated ' + data.generated_at;

  // ---- axis selectors ---------------------------------------------------------------------
  var xSel = $('x-metric'), ySel = $('y-metric');
  data.axes.forEach(function (a) {
    var label = a.metric + (data.objectives.some(function (o) { return o.metric === a.metric; }) ? ' *' : '');
    var ox = el('option', label); ox.value = a.metric; xSel.appendChild(ox);
    var oy = el('option', label); oy.value = a.metric; ySel.appendChild(oy);
  });
  var xGoal = $('x-goal'), yGoal = $('y-goal');

  // ---- chart ------------------------------------------------------------------------------
  var chart = echarts.init($('chart'), null, { renderer: 'canvas' });
  window.addEventListener('resize', function () { chart.resize(); });

  function tooltip(p) {
    var t = byId[p.value[2]];
    if (!t) return '';
    var lines = ['<b>' + esc(t.trial_id) + '</b>' + (state.frontier.indexOf(t.trial_id) >= 0 ? ' (frontier)' : '')];
    Object.keys(t.params).sort().forEach(function (k) { lines.push(esc(k) + ' = ' + esc(val(t.params[k]))); });
    lines.push('seed = ' + esc(t.seed));
    lines.push('<hr>');
    Object.keys(t.metrics).sort().forEach(function (k) {
      var s = esc(k) + ' = ' + esc(num(t.metrics[k]));
      lines.push(k === state.x || k === state.y ? '<b>' + s + '</b>' : s);
    });
    return '<div class="tip">' + lines.join('<br>') + '</div>';
  }

  function draw() {
    var x = state.x, y = state.y;
    var pts = [];
    okTrials.forEach(function (t) {
      var vx = t.metrics[x], vy = t.metrics[y];
      if (typeof vx === 'number' && typeof vy === 'number' && isFinite(vx) && isFinite(vy)) pts.push({ x: vx, y: vy, id: t.trial_id });
    });
    var ids = pairFrontier(x, y);
    var byPoint = {};
    pts.forEach(function (p) { byPoint[p.id] = p; });
    // In frontier order (best-first on one metric), so the line runs along the frontier.
    var front = (ids || []).map(function (id) { return byPoint[id]; }).filter(function (p) { return p; });
    var onFront = {};
    front.forEach(function (p) { onFront[p.id] = true; });
    state.frontier = front.map(function (p) { return p.id; });
    var dominated = pts.filter(function (p) { return !onFront[p.id]; });
    var line = front;
    var sel = state.selected && byId[state.selected] ? pts.filter(function (p) { return p.id === state.selected; }) : [];
    chart.setOption({
      animation: false,
      grid: { left: 70, right: 30, top: 40, bottom: 60 },
      legend: { data: ['dominated', 'frontier'], top: 5 },
      tooltip: { trigger: 'item', confine: true, formatter: tooltip },
      xAxis: { type: 'value', name: axisLabel(x), nameLocation: 'middle', nameGap: 35, scale: true },
      yAxis: { type: 'value', name: axisLabel(y), nameLocation: 'middle', nameGap: 50, scale: true },
      series: [
        { id: 'dominated', name: 'dominated', type: 'scatter', symbolSize: 9, itemStyle: { color: '#52606d', opacity: 0.45 },
          data: dominated.map(function (p) { return [p.x, p.y, p.id]; }) },
        { id: 'frontier', name: 'frontier', type: 'scatter', symbolSize: 13, z: 3, itemStyle: { color: '#d9480f', opacity: 1, borderColor: '#fff', borderWidth: 1 },
          data: front.map(function (p) { return [p.x, p.y, p.id]; }) },
        { id: 'frontier-line', name: 'frontier', type: 'line', silent: true, symbol: 'none', z: 2, lineStyle: { color: '#d9480f', width: 2 },
          tooltip: { show: false }, data: line.map(function (p) { return [p.x, p.y, p.id]; }) },
        { id: 'selected', name: 'selected', type: 'scatter', symbol: 'circle', symbolSize: 22, z: 4, silent: true,
          itemStyle: { color: 'rgba(0,0,0,0)', borderColor: '#1c7ed6', borderWidth: 3 }, tooltip: { show: false },
          data: sel.map(function (p) { return [p.x, p.y, p.id]; }) }
      ]
    }, { notMerge: true });
    $('plot-note').textContent = pts.length + ' trials plotted, ' + (ids ? front.length + ' non-dominated on this pair' : 'no frontier: choose two different metrics') +
      (pts.length < okTrials.length ? '; ' + (okTrials.length - pts.length) + ' ok trials lack one of the two metrics' : '');
  }

  chart.on('click', function (p) {
    if (p && p.value && p.value[2]) select(String(p.value[2]));
  });

  function setAxes(x, y) {
    if (!goals[x] || !goals[y]) throw new Error('unknown metric: ' + (!goals[x] ? x : y));
    state.x = x; state.y = y;
    xSel.value = x; ySel.value = y;
    xGoal.value = goals[x]; yGoal.value = goals[y];
    draw();
  }
  xSel.addEventListener('change', function () { setAxes(xSel.value, state.y); });
  ySel.addEventListener('change', function () { setAxes(state.x, ySel.value); });
  xGoal.addEventListener('change', function () { goals[state.x] = xGoal.value; draw(); });
  yGoal.addEventListener('change', function () { goals[state.y] = yGoal.value; draw(); });

  // ---- frontier table ---------------------------------------------------------------------
  function fillFrontierTable() {
    var table = $('frontier-table');
    var head = el('tr');
    ['trial'].concat(data.varying_params, ['seed'], data.objectives.map(function (o) { return o.metric + ' (' + o.goal + ')'; })).forEach(function (h) { head.appendChild(el('th', h)); });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    data.frontier_ids.forEach(function (id) {
      var t = byId[id];
      if (!t) return;
      var tr = el('tr');
      tr.dataset.trial = id;
      tr.appendChild(el('td', id, 'mono'));
      data.varying_params.forEach(function (k) { tr.appendChild(el('td', val(t.params[k]))); });
      tr.appendChild(el('td', t.seed));
      data.objectives.forEach(function (o) { tr.appendChild(el('td', num(t.metrics[o.metric]), 'num')); });
      tr.tabIndex = 0;
      tr.addEventListener('click', function () { select(id); });
      tr.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(id); } });
      body.appendChild(tr);
    });
    if (failed.length) {
      var ul = $('failed-list');
      failed.slice(0, 20).forEach(function (t) { ul.appendChild(el('li', t.trial_id + ' ' + paramText(t, data.varying_params) + ' seed ' + t.seed + ': ' + (t.error || 'failed'))); });
      if (failed.length > 20) ul.appendChild(el('li', '... and ' + (failed.length - 20) + ' more'));
      $('failed').hidden = false;
    }
  }

  // ---- selected trial ---------------------------------------------------------------------
  function select(id) {
    var t = byId[id];
    if (!t) throw new Error('no trial ' + id);
    state.selected = id;
    Array.prototype.forEach.call(document.querySelectorAll('#frontier-table tbody tr'), function (tr) {
      tr.classList.toggle('selected', tr.dataset.trial === id);
    });
    var box = $('trial');
    box.textContent = '';
    box.appendChild(el('h3', t.trial_id, 'mono'));
    box.appendChild(el('p', Object.keys(t.params).sort().map(function (k) { return k + '=' + val(t.params[k]); }).join(', ') + '; seed ' + t.seed));
    if (t.artifacts && t.artifacts.length) {
      var files = el('p', 'artifacts: ', 'artifacts');
      t.artifacts.forEach(function (href, i) {
        var a = el('a', href.split('/').slice(2).join('/'), 'mono');
        a.href = href;
        if (i > 0) files.appendChild(document.createTextNode(', '));
        files.appendChild(a);
      });
      box.appendChild(files);
    }
    var groups = t.group_metrics || [];
    if (!groups.length) {
      box.appendChild(el('p', t.status === 'ok' ? 'This trial recorded no per-group metrics.' : 'Failed: ' + (t.error || ''), 'muted'));
    } else {
      var cols = [];
      groups.forEach(function (g) { Object.keys(g.metrics).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
      var table = el('table', null, 'groups');
      var head = el('tr');
      ['split', 'group'].concat(cols).forEach(function (h) { head.appendChild(el('th', h)); });
      table.appendChild(el('thead')).appendChild(head);
      var body = table.appendChild(el('tbody'));
      groups.forEach(function (g) {
        var tr = el('tr');
        tr.appendChild(el('td', g.split));
        tr.appendChild(el('td', g.group, 'mono'));
        cols.forEach(function (k) { tr.appendChild(el('td', num(g.metrics[k]), 'num')); });
        body.appendChild(tr);
      });
      var wrap = el('div', null, 'scroll');
      wrap.appendChild(table);
      box.appendChild(wrap);
    }
    var details = el('details');
    details.appendChild(el('summary', 'all metrics of this trial'));
    details.appendChild(el('pre', Object.keys(t.metrics).sort().map(function (k) { return k + ' = ' + num(t.metrics[k]); }).join('\n')));
    box.appendChild(details);
    draw();
  }

  // ---- spec -------------------------------------------------------------------------------
  $('spec').textContent = data.spec_yaml;

  fillFrontierTable();
  var first = data.axes[0], second = data.axes[1] || data.axes[0];
  if (first && second) setAxes(first.metric, second.metric);
  else $('plot-note').textContent = 'no numeric metrics to plot';
  if (data.frontier_ids.length) select(data.frontier_ids[0]);

  window.fairsweepReport = {
    chart: chart,
    data: data,
    setAxes: setAxes,
    select: select,
    /** Marks currently drawn: dominated and frontier points, and the trial ids on the pair's frontier. */
    marks: function () {
      var s = chart.getOption().series;
      return { dominated: s[0].data.length, frontier: s[1].data.length, frontierIds: state.frontier.slice(), x: state.x, y: state.y };
    }
  };
  document.body.dataset.ready = 'true';
})();
`;
