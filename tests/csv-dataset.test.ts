import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../worker/datasets/index.js';
import { DatasetError } from '../worker/errors.js';
import { getMethod } from '../catalog/index.js';
import { loadMethod } from '../worker/index.js';
import { loadBackend } from '../worker/backend.js';

const dir = mkdtempSync(join(tmpdir(), 'fairsweep-csv-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const good = ['x1,x2,grp,env,y', ...Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5}.5,${i % 3 === 0 ? 'B' : 'A'},${i % 2 ? 'e1' : 'e0'},${i % 2}`)].join('\n');

test('a CSV loads with the named columns, split deterministically, environments from their column', (t) => {
  const path = file('good.csv', good);
  const d = loadDataset('csv', { path, label: 'y', group: 'grp', environment: 'env', features: ['x1', 'x2'], test_fraction: 0.25, val_fraction: 0.25 }, 0);
  t.is(d.dim, 2);
  t.is(d.test.n, 10);
  t.is(d.val.n, 10);
  t.is(d.train.n, 20);
  t.is(d.environments.length, 2);
  t.is(d.environments[0]!.n + d.environments[1]!.n, 20);
  t.true(d.train.attribute.every((g) => g === 'A' || g === 'B'));
  t.deepEqual(loadDataset('csv', { path, label: 'y', group: 'grp', environment: 'env', test_fraction: 0.25, val_fraction: 0.25 }, 0).test.y, loadDataset('csv', { path, label: 'y', group: 'grp', environment: 'env', test_fraction: 0.25, val_fraction: 0.25 }, 0).test.y);
  // Default features: every column but label, group and environment.
  t.is(loadDataset('csv', { path, label: 'y', group: 'grp', environment: 'env' }, 0).dim, 2);
  // positive_label maps other label values.
  const named = file('named.csv', 'x,g,outcome\n1,a,yes\n2,b,no\n3,a,yes\n4,b,no\n5,a,no\n6,b,yes\n7,a,yes\n8,b,no\n');
  const n = loadDataset('csv', { path: named, label: 'outcome', group: 'g', positive_label: 'yes', test_fraction: 0.25, val_fraction: 0 }, 1);
  t.is(n.train.n + n.test.n, 8);
});

test('bad CSVs are clear errors naming the file, line and column', (t) => {
  const cases: [string, string, Record<string, unknown>, RegExp][] = [
    ['missing-col.csv', good, { label: 'y', group: 'nope' }, /dataset\.group: column "nope" is not in .*missing-col\.csv \(columns: x1, x2, grp, env, y\)/],
    ['missing-feature.csv', good, { label: 'y', group: 'grp', features: ['x1', 'x9'] }, /dataset\.features\[1\]: column "x9"/],
    ['non-numeric.csv', 'a,g,y\n1,u,0\nabc,v,1\n2,u,1\n', { label: 'y', group: 'g' }, /non-numeric\.csv:3, column "a": expected a finite number, got "abc"/],
    ['nan.csv', 'a,g,y\n1,u,0\nNaN,v,1\n2,u,1\n', { label: 'y', group: 'g' }, /nan\.csv:3, column "a": expected a finite number, got "NaN"/],
    ['empty-cell.csv', 'a,g,y\n1,u,0\n,v,1\n2,u,1\n', { label: 'y', group: 'g' }, /empty-cell\.csv:3, column "a": expected a finite number, got an empty cell/],
    ['empty-group.csv', 'a,g,y\n1,u,0\n2,,1\n2,u,1\n', { label: 'y', group: 'g' }, /empty-group\.csv:3, column "g": empty group value/],
    ['ragged.csv', 'a,g,y\n1,u,0\n2,v\n2,u,1\n', { label: 'y', group: 'g' }, /ragged\.csv:3: malformed CSV/],
    ['quote.csv', 'a,g,y\n1,u,0\n2,"v,1\n2,u,1\n', { label: 'y', group: 'g' }, /quote\.csv(:\d+)?: malformed CSV/],
    ['label.csv', 'a,g,y\n1,u,0\n2,v,2\n2,u,1\n', { label: 'y', group: 'g' }, /label\.csv:3, column "y": labels must be 0 or 1, got "2"/],
    ['empty.csv', '', { label: 'y', group: 'g' }, /empty\.csv: the file is empty/],
    ['header-only.csv', 'a,g,y\n', { label: 'y', group: 'g' }, /header-only\.csv: no data rows/],
    ['dup-header.csv', 'a,a,y\n1,2,0\n', { label: 'y', group: 'a' }, /dup-header\.csv:1: column "a" appears twice/],
  ];
  for (const [name, text, opts, re] of cases) {
    const path = file(name, text);
    const err = t.throws(() => loadDataset('csv', { path, ...opts }, 0), { instanceOf: DatasetError }, name);
    if (err) t.regex(err.message, re, name);
  }
  t.throws(() => loadDataset('csv', { path: join(dir, 'absent.csv'), label: 'y', group: 'g' }, 0), { instanceOf: DatasetError, message: /dataset\.path: cannot read .*absent\.csv \(ENOENT\)/ });
  t.throws(() => loadDataset('csv', { label: 'y', group: 'g' }, 0), { instanceOf: DatasetError, message: /dataset\.path/ });
});

test.serial('a method trains on a CSV; a malformed CSV fails the trial with its reason instead of a metric', async (t) => {
  const path = file('train.csv', good);
  const d = getMethod('group-balancing')!;
  const impl = await loadMethod(d.name)!;
  const rt = { signal: new AbortController().signal, heartbeat: () => undefined, backend: () => loadBackend() };
  const out = await impl.run({ trialId: 'c', sweepId: 's', params: d.params.parse({ steps: 20, hidden: [4] }), seed: 0, attempt: 1, dataset: { name: 'csv', options: { path, label: 'y', group: 'grp', environment: 'env' } } }, rt);
  t.true(Number.isFinite(out.metrics['test/accuracy']));
  const bad = file('bad.csv', 'a,g,y\n1,u,0\nabc,v,1\n');
  await t.throwsAsync(impl.run({ trialId: 'c', sweepId: 's', params: d.params.parse({ steps: 20 }), seed: 0, attempt: 1, dataset: { name: 'csv', options: { path: bad, label: 'y', group: 'g' } } }, rt), { instanceOf: DatasetError, message: /bad\.csv:3/ });
});
