import test from 'ava';
import fc from 'fast-check';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseSpecText, axisLength, axisValues, SpecError, SPEC_LIMITS } from '../coordinator/index.js';
import { axisBytes } from '../coordinator/spec/grid.js';
import { checkParamValue, paramValueBytes } from '../coordinator/spec/limits.js';
import { ParamList, ParamValue, toParamValue, type Param } from '../proto/index.js';
import { CLI } from './helpers/cluster.js';
import { tempDir } from './helpers/temp-dir.js';

const run = promisify(execFile);

const spec = (extra: string, head = 'name: hostile\nmethod: sleep\n'): string => `${head}${extra}\nobjectives: [{ metric: score, goal: max }]\n`;

function refused(t: import('ava').ExecutionContext, text: string): SpecError {
  return t.throws(() => parseSpecText(text), { instanceOf: SpecError }) as SpecError;
}

/** `[[[...1...]]]`, `depth` lists deep. */
const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

/** The spec of the issue: 342 bytes whose grid is a product of nine 10-value lists (10^9 vectors). */
const PRODUCT_BOMB = spec(`grid: { c: { product: [${Array.from({ length: 9 }, () => '[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]').join(', ')}] } }`);

test('the 342-byte {product} spec is refused from the axes\' lengths, in milliseconds and without expanding it', (t) => {
  t.true(PRODUCT_BOMB.length < 400, `${PRODUCT_BOMB.length} bytes`);
  const rss = process.memoryUsage().rss;
  const started = Date.now();
  const err = refused(t, PRODUCT_BOMB);
  t.true(Date.now() - started < 2_000, `${Date.now() - started} ms`);
  t.true(process.memoryUsage().rss - rss < 100 * 1024 * 1024, 'memory stays bounded');
  t.is(err.issues[0]?.path, 'grid.c');
  t.regex(err.message, /^grid\.c: \{product\} of 9 lists \(10 × 10 × 10 × 10 × 10 × 10 × 10 × 10 × 10\) is 1000000000 vectors, more than the limit of 100000 grid values$/);
});

test('fairsweep validate refuses the {product} spec at once, naming grid.c and the limit', async (t) => {
  const dir = await tempDir(t, 'limits-');
  const file = join(dir, 'bomb.yaml');
  await writeFile(file, PRODUCT_BOMB);
  const started = Date.now();
  const r = await run(process.execPath, [CLI, 'validate', file]).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  t.is(r.code, 1);
  t.regex(r.stderr, /grid\.c: \{product\} of 9 lists .* more than the limit of 100000 grid values/);
  t.true(Date.now() - started < 10_000);
});

test('trials are counted before anything is expanded: linspace counts, samples × grid × seeds', (t) => {
  t.regex(refused(t, spec('grid: { a: { linspace: [0, 1, 1000] }, b: { product: [[1, 2, 3], [4, 5, 6]] } }\nseeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]')).message, /^grid: 108000 trials \(a: 1000 × b: 9 × 12 seeds\) exceeds this coordinator's limit of 100000$/);
  t.regex(
    refused(t, spec('grid: { a: [1, 2] }\nsearch: { samples: 60000, space: { x: { uniform: [0, 1] } } }')).message,
    /^grid: 120000 trials \(a: 2 × 60000 samples × 1 seeds\)/,
  );
  t.regex(refused(t, spec(`grid:\n${Array.from({ length: 33 }, (_, i) => `  k${i}: [1]\n`).join('')}`)).message, /^grid: 33 axes, more than the limit of 32$/);
});

test('params nested deeper than the limits are refused naming the path: YAML depth and list depth', (t) => {
  const deep = refused(t, spec(`params: { duration_ms: 1, x: ${nested(60)} }`));
  t.regex(deep.message, /^params\.x(\[0\])+: YAML nested deeper than the limit of 16 levels \(line 3, column \d+\)$/);
  t.regex(refused(t, spec(`params: { x: ${nested(9)} }`)).message, /^params\.x: lists nested more than 8 deep \(at params\.x(\[0\]){8}\); the limit is 8$/);
  t.is(parseSpecText(spec(`params: { x: ${nested(8)} }`)).trials, 1);
  // A {product} vector is a list itself: its components hold one level less.
  t.regex(refused(t, spec(`grid: { c: { product: [[${nested(8)}]] } }`)).message, /^grid\.c\.product\[0\]\[0\]: lists nested more than 7 deep .*the limit is 8, of which the spec's own form takes 1$/);
  t.regex(refused(t, spec(`search: { samples: 1, space: { x: { choice: [${nested(8)}], repeat: 2 } } }`)).message, /^search\.space\.x\.choice\[0\]: lists nested more than 7 deep/);
  t.regex(refused(t, spec(`dataset: { name: spurious, n: ${nested(9)} }`, 'name: hostile\nmethod: erm\n')).message, /^dataset\.n: lists nested more than 8 deep/);
});

test('deeply nested YAML is refused before it is composed: flow, block and compact forms, in milliseconds', (t) => {
  for (const text of [
    spec(`params: { x: ${nested(20_000)} }`),
    spec(`params:\n  x:\n    ${'- '.repeat(20_000)}1`),
    spec(`params: { x: ${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)} }`),
  ]) {
    const started = Date.now();
    t.regex(refused(t, text).message, /YAML nested deeper than the limit of 16 levels \(line \d+, column \d+\)/);
    t.true(Date.now() - started < 2_000, `${Date.now() - started} ms`);
  }
  // Wide is not deep: many keys and objectives on one line pass.
  const keys = Array.from({ length: 300 }, (_, i) => `k${i}: ${i}`).join(', ');
  t.is(parseSpecText(`name: wide\nmethod: sleep\nparams: {${keys}}\nobjectives: [${Array(100).fill('{metric: score, goal: max}').join(', ')}]\n`).trials, 1);
});

test('text size, string length, list length and the encoded sizes of what is stored and published are limited, naming the limit', (t) => {
  t.regex(refused(t, spec(`# ${'x'.repeat(300 * 1024)}`)).message, /^the spec is \d+ bytes, more than the limit of 262144 bytes \(256 KiB\)$/);
  t.regex(refused(t, spec(`params: { s: "${'x'.repeat(2000)}" }`)).message, /^params\.s: a string of 2000 characters, more than the limit of 1024$/);
  t.regex(refused(t, spec(`params: { l: [${Array(5000).fill(0).join(',')}] }`)).message, /^params\.l: a list of 5000 values, more than the limit of 4096$/);
  t.regex(refused(t, spec('grid: { x: { linspace: [0, 1, 100000] } }')).message, /^grid\.x: .* encode to 1100\d+ bytes, more than the limit of 524288 bytes \(512 KiB\)/);
  t.regex(refused(t, spec(`params: { s: "${'x'.repeat(1000)}" }\ngrid: { x: { linspace: [0, 1, 2000] } }\nshard_size: 1000`)).message, /^shard_size: 1000 trials of up to \d+ bytes each make a shard of \d+ bytes, more than the limit of 786432 bytes \(768 KiB\); set shard_size to at most \d+$/);
  // What the limits leave: the load test's 20,000-value linspace.
  t.is(parseSpecText(spec('grid: { x: { linspace: [0, 1, 20000] } }')).trials, 20_000);
});

const param: fc.Arbitrary<Param> = fc.letrec<{ p: Param }>((tie) => ({
  p: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.double({ noNaN: true }), fc.string(), fc.boolean(), fc.array(tie('p'), { maxLength: 4 })),
})).p;

test('property: the encoded size of a value is computed exactly, without encoding it', (t) => {
  fc.assert(fc.property(param, (p) => paramValueBytes(p) === ParamValue.encode(toParamValue(p)).finish().length));
  t.pass();
});

test('property: an axis\'s length and encoded size are computed without expanding it (a {product}\'s size bounded from above)', (t) => {
  const values = fc.array(param, { minLength: 1, maxLength: 4 });
  const axis = fc.oneof(
    values,
    fc.array(values, { minLength: 1, maxLength: 3 }).map((product) => ({ product })),
    fc.integer({ min: 1, max: 50 }).map((n) => ({ linspace: [0, 1, n] as [number, number, number] })),
  );
  fc.assert(
    fc.property(axis, (a) => {
      const expanded = axisValues(a);
      const exact = ParamList.encode({ values: expanded.map(toParamValue) }).finish().length;
      if (axisLength(a) !== expanded.length) return false;
      return Array.isArray(a) || 'linspace' in a ? axisBytes(a) === exact : axisBytes(a) >= exact && axisBytes(a) <= exact + 3 * expanded.length;
    }),
  );
  t.pass();
});

test('property: a value is within the param depth limit exactly when its lists nest at most 8 deep', (t) => {
  const depthOf = (p: Param): number => (Array.isArray(p) ? 1 + Math.max(0, ...p.map(depthOf)) : 0);
  const deepish = fc.integer({ min: 0, max: 12 }).map((d) => JSON.parse(nested(d)) as Param);
  fc.assert(
    fc.property(fc.oneof(param, deepish), (p) => {
      let ok = true;
      try {
        checkParamValue(p, 'params.x');
      } catch (err) {
        ok = !(err instanceof SpecError);
      }
      return ok === depthOf(p) <= SPEC_LIMITS.paramDepth;
    }),
  );
  t.pass();
});
