import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataRoot, loadDataset } from '../worker/datasets/index.js';
import { DatasetError, NoDataDirError, TrialFailedError, isUnrecoverable } from '../worker/errors.js';
import { DEFAULT_MAX_DATA_BYTES } from '../worker/regular-file.js';
import { getMethod } from '../catalog/index.js';
import { loadMethod } from '../worker/index.js';
import { loadBackend } from '../worker/backend.js';

const dir = mkdtempSync(join(tmpdir(), 'fairsweep-csv-'));
/** The worker's data directory: paths in options are relative to it. */
const root = new DataRoot(dir, DEFAULT_MAX_DATA_BYTES);
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

const good = ['x1,x2,grp,env,y', ...Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5}.5,${i % 3 === 0 ? 'B' : 'A'},${i % 2 ? 'e1' : 'e0'},${i % 2}`)].join('\n');

test('a CSV loads with the named columns, split deterministically, environments from their column', (t) => {
  const path = file('good.csv', good);
  const d = loadDataset('csv', { path, label: 'y', group: 'grp', environment: 'env', features: ['x1', 'x2'], test_fraction: 0.25, val_fraction: 0.25 }, 0, root);
  t.is(d.dim, 2);
  t.is(d.test.n, 10);
  t.is(d.val.n, 10);
  t.is(d.train.n, 20);
  t.is(d.environments.length, 2);
  t.is(d.environments[0]!.n + d.environments[1]!.n, 20);
  t.true(d.train.attribute.every((g) => g === 'A' || g === 'B'));
  t.deepEqual(loadDataset('csv', { path, label: 'y', group: 'grp', environment: 'env', test_fraction: 0.25, val_fraction: 0.25 }, 0, root).test.y, loadDataset('csv', { path, label: 'y', group: 'grp', environment: 'env', test_fraction: 0.25, val_fraction: 0.25 }, 0, root).test.y);
  // Default features: every column but label, group and environment.
  t.is(loadDataset('csv', { path, label: 'y', group: 'grp', environment: 'env' }, 0, root).dim, 2);
  // positive_label maps other label values.
  const named = file('named.csv', 'x,g,outcome\n1,a,yes\n2,b,no\n3,a,yes\n4,b,no\n5,a,no\n6,b,yes\n7,a,yes\n8,b,no\n');
  const n = loadDataset('csv', { path: named, label: 'outcome', group: 'g', positive_label: 'yes', test_fraction: 0.25, val_fraction: 0 }, 1, root);
  t.is(n.train.n + n.test.n, 8);
});

test('bad CSVs are clear errors naming the file, line and column', (t) => {
  const cases: [string, string, Record<string, unknown>, RegExp][] = [
    ['missing-col.csv', good, { label: 'y', group: 'nope' }, /dataset\.group: column "nope" is not in .*missing-col\.csv \(columns: x1, x2, grp, env, y\)/],
    ['missing-feature.csv', good, { label: 'y', group: 'grp', features: ['x1', 'x9'] }, /dataset\.features\[1\]: column "x9"/],
    ['non-numeric.csv', 'a,g,y\n1,u,0\nabc,v,1\n2,u,1\n', { label: 'y', group: 'g' }, /non-numeric\.csv:3, column "a": expected a finite number, got something else \(values are not repeated in errors\)/],
    ['nan.csv', 'a,g,y\n1,u,0\nNaN,v,1\n2,u,1\n', { label: 'y', group: 'g' }, /nan\.csv:3, column "a": expected a finite number/],
    ['empty-cell.csv', 'a,g,y\n1,u,0\n,v,1\n2,u,1\n', { label: 'y', group: 'g' }, /empty-cell\.csv:3, column "a": expected a finite number, got an empty cell/],
    ['empty-group.csv', 'a,g,y\n1,u,0\n2,,1\n2,u,1\n', { label: 'y', group: 'g' }, /empty-group\.csv:3, column "g": empty group value/],
    ['ragged.csv', 'a,g,y\n1,u,0\n2,v\n2,u,1\n', { label: 'y', group: 'g' }, /ragged\.csv:3: malformed CSV \(expected 3 fields, got 2\)/],
    ['quote.csv', 'a,g,y\n1,u,0\n2,"v,1\n2,u,1\n', { label: 'y', group: 'g' }, /quote\.csv(:\d+)?: malformed CSV \(a quoted field is not closed\)/],
    ['label.csv', 'a,g,y\n1,u,0\n2,v,2\n2,u,1\n', { label: 'y', group: 'g' }, /label\.csv:3, column "y": labels must be 0 or 1 \(or set dataset\.positive_label\)/],
    ['empty.csv', '', { label: 'y', group: 'g' }, /empty\.csv: the file is empty/],
    ['header-only.csv', 'a,g,y\n', { label: 'y', group: 'g' }, /header-only\.csv: no data rows/],
    ['dup-header.csv', 'a,a,y\n1,2,0\n', { label: 'y', group: 'a' }, /dup-header\.csv:1: column "a" appears twice/],
  ];
  for (const [name, text, opts, re] of cases) {
    const path = file(name, text);
    const err = t.throws(() => loadDataset('csv', { path, ...opts }, 0, root), { instanceOf: DatasetError }, name);
    if (err) t.regex(err.message, re, name);
  }
  t.throws(() => loadDataset('csv', { path: 'absent.csv', label: 'y', group: 'g' }, 0, root), { instanceOf: DatasetError, message: /dataset\.path: "absent\.csv" is not a file in the worker's data directory \(ENOENT\)/ });
  t.throws(() => loadDataset('csv', { label: 'y', group: 'g' }, 0, root), { instanceOf: DatasetError, message: /dataset\.path/ });
});

test.serial('a method trains on a CSV; a malformed CSV fails the trial with its reason instead of a metric', async (t) => {
  const path = file('train.csv', good);
  const d = getMethod('group-balancing')!;
  const impl = await loadMethod(d.name)!;
  const rt = { signal: new AbortController().signal, heartbeat: () => undefined, backend: () => loadBackend(), dataRoot: root };
  const out = await impl.run({ trialId: 'c', sweepId: 's', params: d.params.parse({ steps: 20, hidden: [4] }), seed: 0, attempt: 1, dataset: { name: 'csv', options: { path, label: 'y', group: 'grp', environment: 'env' } } }, rt);
  t.true(Number.isFinite(out.metrics['test/accuracy']));
  const bad = file('bad.csv', 'a,g,y\n1,u,0\nabc,v,1\n');
  await t.throwsAsync(impl.run({ trialId: 'c', sweepId: 's', params: d.params.parse({ steps: 20 }), seed: 0, attempt: 1, dataset: { name: 'csv', options: { path: bad, label: 'y', group: 'g' } } }, rt), { instanceOf: DatasetError, message: /bad\.csv:3/ });
});

test('errors repeat no value from the file: only its column names, cut when long', (t) => {
  const secret = 'S3CRET-VALUE';
  const pem = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC${secret}\n-----END PRIVATE KEY-----\n`;
  const cases: [string, string, Record<string, unknown>, RegExp][] = [
    // A file that is not a table: the first line is all an error may show (as a column name).
    ['key.pem', pem, { label: 'y', group: 'g' }, /dataset\.label: column "y" is not in key\.pem \(columns: -----BEGIN PRIVATE KEY-----\)/],
    ['key-label.pem', pem, { label: '-----BEGIN PRIVATE KEY-----', group: '-----BEGIN PRIVATE KEY-----' }, /dataset\.features: key-label\.pem has no feature column/],
    ['feature.csv', `a,g,y\n1,u,0\n${secret},v,1\n2,u,1\n`, { label: 'y', group: 'g' }, /feature\.csv:3, column "a": expected a finite number, got something else/],
    ['label-value.csv', `a,g,y\n1,u,0\n2,v,${secret}\n2,u,1\n`, { label: 'y', group: 'g' }, /label-value\.csv:3, column "y": labels must be 0 or 1/],
    // csv-parse's own message quotes the field ("value is ...").
    ['opening-quote.csv', `a,g,y\n1,u,0\n${secret}"x",v,1\n`, { label: 'y', group: 'g' }, /opening-quote\.csv:3: malformed CSV \(a quote inside an unquoted field\)/],
    ['closing-quote.csv', `a,g,y\n1,u,0\n"x"${secret},v,1\n`, { label: 'y', group: 'g' }, /closing-quote\.csv:3: malformed CSV \(a character after a closing quote\)/],
  ];
  for (const [name, text, opts, re] of cases) {
    const err = t.throws(() => loadDataset('csv', { path: file(name, text), ...opts }, 0, root), { instanceOf: DatasetError }, name);
    t.regex(err?.message ?? '', re, name);
    t.false(err?.message.includes(secret), `${name}: ${err?.message}`);
    t.false(err?.message.includes('MIIE'), `${name}: ${err?.message}`);
  }
  // A one-line "header" of a megabyte: the error shows the first 64 characters of it.
  const wide = file('wide.csv', `${'x'.repeat(1_000_000)}\n1\n`);
  const err = t.throws(() => loadDataset('csv', { path: wide, label: 'y', group: 'g' }, 0, root), { instanceOf: DatasetError });
  t.true((err?.message.length ?? Infinity) < 300, `${err?.message.length} characters`);
  const many = file('many.csv', `${Array.from({ length: 100 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 100 }, () => '1').join(',')}\n`);
  t.regex(t.throws(() => loadDataset('csv', { path: many, label: 'y', group: 'g' }, 0, root))?.message ?? '', /\(columns: c0, c1, .*c39, … 100 columns in all\)$/);
});

test('without a data directory a csv dataset reads nothing and says how to give the worker one', (t) => {
  const path = file('unread.csv', good);
  const err = t.throws(() => loadDataset('csv', { path, label: 'y', group: 'grp' }, 0), { instanceOf: NoDataDirError });
  t.regex(err?.message ?? '', /^dataset\.path: this worker has no data directory, so it reads no dataset files; start it with `fairsweep worker --data-dir DIR`/);
  t.true(err instanceof TrialFailedError && isUnrecoverable(err), 'not retried');
});
