/**
 * The scatter part of report.html's script (see page-script.ts, which it is inlined into): the
 * points of the level shown (configurations at their means with confidence-interval error bars on
 * both axes, or trials), coloured by frontier membership or by a swept parameter with a legend, and
 * the pair's precomputed frontier joined by a line.
 */
export const PAGE_CHART = String.raw`
  var PALETTE = ['#1c7ed6', '#d9480f', '#2b8a3e', '#ae3ec9', '#f08c00', '#0c8599', '#e03131', '#5c940d', '#6741d9', '#862e9c'];

  /** The plottable items of the level shown, for metrics x and y. */
  function items(x, y) {
    var out = [];
    if (state.level === 'trial') {
      okTrials.forEach(function (t) {
        var vx = t.metrics[x], vy = t.metrics[y];
        if (typeof vx === 'number' && typeof vy === 'number' && isFinite(vx) && isFinite(vy)) out.push({ id: t.trial_id, x: vx, y: vy, xci: null, yci: null, params: t.params });
      });
      return out;
    }
    data.configurations.forEach(function (c) {
      var sx = c.stats[x], sy = c.stats[y];
      if (c.seeds.length && sx && sy && isFinite(sx.mean) && isFinite(sy.mean)) out.push({ id: c.configuration_id, x: sx.mean, y: sy.mean, xci: sx.ci, yci: sy.ci, params: c.params });
    });
    return out;
  }

  /** Error bars of one configuration: its x interval at its y mean, its y interval at its x mean, with caps. */
  function renderBars(params, api) {
    var x = api.value(0), y = api.value(1);
    var style = { stroke: '#52606d', lineWidth: 1.2, opacity: 0.8 };
    var children = [];
    function seg(a, b) { children.push({ type: 'line', shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style: style }); }
    if (api.value(6)) {
      var l = api.coord([api.value(2), y]), r = api.coord([api.value(3), y]);
      seg(l, r); seg([l[0], l[1] - 4], [l[0], l[1] + 4]); seg([r[0], r[1] - 4], [r[0], r[1] + 4]);
    }
    if (api.value(7)) {
      var lo = api.coord([x, api.value(4)]), hi = api.coord([x, api.value(5)]);
      seg(lo, hi); seg([lo[0] - 4, lo[1]], [lo[0] + 4, lo[1]]); seg([hi[0] - 4, hi[1]], [hi[0] + 4, hi[1]]);
    }
    return { type: 'group', children: children };
  }

  /** Scatter series: frontier and dominated, or one per value of the colour parameter. */
  function pointSeries(pts, onFront) {
    if (!state.colorBy) {
      return [
        { id: 'dominated', name: 'dominated', type: 'scatter', symbolSize: 9, z: 3, itemStyle: { color: '#52606d', opacity: 0.55 },
          data: pts.filter(function (p) { return !onFront[p.id]; }).map(function (p) { return [p.x, p.y, p.id]; }) },
        { id: 'frontier', name: 'frontier', type: 'scatter', symbolSize: 13, z: 4, itemStyle: { color: '#d9480f', opacity: 1, borderColor: '#fff', borderWidth: 1 },
          data: pts.filter(function (p) { return onFront[p.id]; }).map(function (p) { return [p.x, p.y, p.id]; }) }
      ];
    }
    var groups = {}, order = [];
    pts.forEach(function (p) {
      var name = state.colorBy + '=' + val(p.params[state.colorBy]);
      if (!groups[name]) { groups[name] = []; order.push(name); }
      groups[name].push(p);
    });
    return order.map(function (name, i) {
      return { id: 'color-' + i, name: name, type: 'scatter', z: 4, itemStyle: { color: PALETTE[i % PALETTE.length] },
        data: groups[name].map(function (p) {
          return { value: [p.x, p.y, p.id], symbolSize: onFront[p.id] ? 14 : 9, itemStyle: onFront[p.id] ? { borderColor: '#111', borderWidth: 2 } : { opacity: 0.75 } };
        }) };
    });
  }

  function draw() {
    var x = state.x, y = state.y;
    var pts = items(x, y);
    var ids = pairFrontier(x, y);
    var byPoint = {};
    pts.forEach(function (p) { byPoint[p.id] = p; });
    // In frontier order (best-first on one metric), so the line runs along the frontier.
    var front = (ids || []).map(function (id) { return byPoint[id]; }).filter(function (p) { return p; });
    var onFront = {};
    front.forEach(function (p) { onFront[p.id] = true; });
    state.frontier = front.map(function (p) { return p.id; });
    var bars = pts.filter(function (p) { return p.xci || p.yci; });
    state.errorBars = bars.length;
    var sel = pts.filter(function (p) { return p.id === state.selected; });
    var series = pointSeries(pts, onFront);
    state.legend = series.map(function (s) { return s.name; });
    series.push(
      { id: 'error-bars', name: 'confidence intervals', type: 'custom', z: 2, silent: true, tooltip: { show: false }, renderItem: renderBars,
        encode: { x: [0, 2, 3], y: [1, 4, 5] },
        data: bars.map(function (p) {
          return [p.x, p.y, p.xci ? p.xci[0] : p.x, p.xci ? p.xci[1] : p.x, p.yci ? p.yci[0] : p.y, p.yci ? p.yci[1] : p.y, p.xci ? 1 : 0, p.yci ? 1 : 0];
        }) },
      { id: 'frontier-line', name: 'frontier line', type: 'line', silent: true, symbol: 'none', z: 1, lineStyle: { color: '#d9480f', width: 2 },
        tooltip: { show: false }, data: front.map(function (p) { return [p.x, p.y, p.id]; }) },
      { id: 'selected', name: 'selected', type: 'scatter', symbol: 'circle', symbolSize: 22, z: 5, silent: true,
        itemStyle: { color: 'rgba(0,0,0,0)', borderColor: '#1c7ed6', borderWidth: 3 }, tooltip: { show: false },
        data: sel.map(function (p) { return [p.x, p.y, p.id]; }) }
    );
    chart.setOption({
      animation: false,
      grid: { left: 70, right: 30, top: 40 + 18 * Math.floor(state.legend.length / 6), bottom: 60 },
      legend: { data: state.legend, top: 5, type: 'scroll' },
      tooltip: { trigger: 'item', confine: true, formatter: tooltip },
      xAxis: { type: 'value', name: axisLabel(x), nameLocation: 'middle', nameGap: 35, scale: true },
      yAxis: { type: 'value', name: axisLabel(y), nameLocation: 'middle', nameGap: 50, scale: true },
      series: series
    }, { notMerge: true });
    var total = state.level === 'trial' ? okTrials.length : data.configurations.filter(function (c) { return c.seeds.length; }).length;
    var noun = state.level === 'trial' ? 'trials' : 'configurations';
    $('plot-note').textContent = pts.length + ' ' + noun + ' plotted' + (state.level === 'trial' ? '' : ' at their means, ' + Math.round(data.confidence * 100) + ' % intervals over seeds (' + bars.length + ' with an interval; one seed has none)') +
      ', ' + (ids ? front.length + ' non-dominated on this pair' : 'no frontier: choose two different metrics') +
      (pts.length < total ? '; ' + (total - pts.length) + ' ' + noun + ' lack one of the two metrics' : '');
    state.points = pts.length;
  }
`;
