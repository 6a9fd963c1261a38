/**
 * The tables of report.html's script (inlined into page-script.ts): the sweep's frontier at the
 * level shown, failed trials, and the selection: a configuration with its seeds listed, or a trial
 * with its per-group metrics.
 */
export const PAGE_TABLES = String.raw`
  // ---- frontier table ---------------------------------------------------------------------
  function tableRow(body, id, cells) {
    var tr = el('tr');
    tr.dataset.id = id;
    cells.forEach(function (c) { tr.appendChild(c); });
    tr.tabIndex = 0;
    tr.addEventListener('click', function () { select(id); });
    tr.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(id); } });
    body.appendChild(tr);
  }
  function fillFrontierTable() {
    var table = $('frontier-table');
    table.textContent = '';
    var head = el('tr');
    var body = el('tbody');
    if (state.level === 'trial') {
      $('frontier-heading').textContent = 'Frontier of the sweep: trials';
      ['trial'].concat(data.varying_params, ['seed'], data.objectives.map(function (o) { return o.metric + ' (' + o.goal + ')'; })).forEach(function (h) { head.appendChild(el('th', h)); });
      data.frontier_ids.forEach(function (id) {
        var t = byId[id];
        if (!t) return;
        tableRow(body, id, [el('td', id, 'mono')].concat(data.varying_params.map(function (k) { return el('td', val(t.params[k])); }), [el('td', t.seed)],
          data.objectives.map(function (o) { return el('td', num(t.metrics[o.metric]), 'num'); })));
      });
    } else {
      $('frontier-heading').textContent = 'Frontier of the sweep: configurations (' + data.protocol + ')';
      var cols = [];
      data.objectives_ranked.forEach(function (o) {
        cols.push({ metric: o.selection_metric, label: o.selection_metric + ' (' + o.goal + ', ' + o.aggregate + ')' });
        if (o.selection_metric !== o.metric) cols.push({ metric: o.metric, label: o.metric + ' (reported)' });
      });
      ['configuration'].concat(data.varying_params, ['seeds']).concat(cols.map(function (c) { return c.label; })).forEach(function (h) { head.appendChild(el('th', h)); });
      data.configuration_frontier_ids.forEach(function (id) {
        var c = configById[id];
        if (!c) return;
        var seeds = c.seeds.length + (c.failed_seeds.length ? ' of ' + (c.seeds.length + c.failed_seeds.length) + ' (failed: ' + c.failed_seeds.join(', ') + ')' : '');
        tableRow(body, id, [el('td', id, 'mono')].concat(data.varying_params.map(function (k) { return el('td', val(c.params[k])); }), [el('td', seeds)],
          cols.map(function (col) { return el('td', stat(c.stats[col.metric]), 'num'); })));
      });
    }
    table.appendChild(el('thead')).appendChild(head);
    table.appendChild(body);
  }
  function fillFailed() {
    if (!failed.length) return;
    var ul = $('failed-list');
    failed.slice(0, 20).forEach(function (t) { ul.appendChild(el('li', t.trial_id + ' ' + paramText(t, data.varying_params) + ' seed ' + t.seed + ': ' + (t.error || 'failed'))); });
    if (failed.length > 20) ul.appendChild(el('li', '... and ' + (failed.length - 20) + ' more'));
    $('failed').hidden = false;
  }

  // ---- selection --------------------------------------------------------------------------
  function markRows(id) {
    Array.prototype.forEach.call(document.querySelectorAll('#frontier-table tbody tr'), function (tr) { tr.classList.toggle('selected', tr.dataset.id === id); });
  }
  function select(id) {
    if (configById[id] && state.level === 'configuration') return selectConfiguration(id);
    var t = byId[id];
    if (!t) throw new Error('no trial or configuration ' + id);
    state.selected = state.level === 'trial' ? id : configIdOf(t);
    markRows(id);
    var box = $('trial');
    box.textContent = '';
    box.appendChild(el('h3', t.trial_id, 'mono'));
    box.appendChild(el('p', Object.keys(t.params).sort().map(function (k) { return k + '=' + val(t.params[k]); }).join(', ') + '; seed ' + t.seed));
    groupTable(box, t);
    draw();
  }
  function configIdOf(t) {
    var hit = data.configurations.filter(function (c) { return c.trial_ids.indexOf(t.trial_id) >= 0; })[0];
    return hit ? hit.configuration_id : null;
  }
  /** A configuration: its params and every seed (failed ones too) with the objectives' values; a seed row opens that trial. */
  function selectConfiguration(id) {
    var c = configById[id];
    state.selected = id;
    markRows(id);
    var box = $('trial');
    box.textContent = '';
    box.appendChild(el('h3', id, 'mono'));
    box.appendChild(el('p', Object.keys(c.params).sort().map(function (k) { return k + '=' + val(c.params[k]); }).join(', ')));
    box.appendChild(el('p', c.seeds.length + ' ok seed(s)' + (c.failed_seeds.length ? ', ' + c.failed_seeds.length + ' failed (not in the means)' : '') + '; click a seed for its per-group metrics', 'muted'));
    var metrics = [];
    data.objectives_ranked.forEach(function (o) { [o.selection_metric, o.metric].forEach(function (m) { if (metrics.indexOf(m) < 0) metrics.push(m); }); });
    var table = el('table', null, 'seeds');
    var head = el('tr');
    ['seed', 'trial', 'status'].concat(metrics).forEach(function (h) { head.appendChild(el('th', h)); });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    c.trial_ids.forEach(function (tid) {
      var t = byId[tid];
      if (!t) return;
      var tr = el('tr');
      tr.dataset.trial = tid;
      tr.appendChild(el('td', t.seed));
      tr.appendChild(el('td', tid, 'mono'));
      tr.appendChild(el('td', t.status === 'ok' ? 'ok' : t.status === 'pruned' ? 'pruned at step ' + t.step : 'failed: ' + (t.error || '')));
      metrics.forEach(function (m) { tr.appendChild(el('td', num(t.metrics[m]), 'num')); });
      tr.addEventListener('click', function () { showSeed(tid); });
      body.appendChild(tr);
    });
    var summary = el('tr');
    summary.appendChild(el('td', 'mean ± std [' + Math.round(data.confidence * 100) + ' % CI]'));
    summary.appendChild(el('td', ''));
    summary.appendChild(el('td', ''));
    metrics.forEach(function (m) { summary.appendChild(el('td', stat(c.stats[m]), 'num')); });
    body.appendChild(summary);
    var wrap = el('div', null, 'scroll');
    wrap.appendChild(table);
    box.appendChild(wrap);
    var seedBox = el('div');
    seedBox.id = 'seed-detail';
    box.appendChild(seedBox);
    var firstOk = c.trial_ids.filter(function (tid) { return byId[tid] && byId[tid].status === 'ok'; })[0];
    if (firstOk) showSeed(firstOk);
    draw();
  }
  function showSeed(tid) {
    var t = byId[tid];
    var box = $('seed-detail');
    if (!t || !box) return;
    box.textContent = '';
    box.appendChild(el('h3', 'seed ' + t.seed + ': ' + t.trial_id, 'mono'));
    groupTable(box, t);
  }
  function groupTable(box, t) {
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
  }
`;
