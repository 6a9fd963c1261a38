import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DataRoot } from '../worker/datasets/index.js';
import { DataPathError, DatasetError } from '../worker/errors.js';
import { readRegularFile, RegularFileError } from '../worker/regular-file.js';
import { MetricsInputError, readPredictionsCsv } from '../worker/index.js';
import { spawnCli } from './helpers/cluster.js';

const MIB = 1024 * 1024;
const SECRET = 'root:*:20228:0:99999:7:::';

// base/
//   outside/secret.csv       (not in the data directory)
//   data/                    (the data directory)
//     ok.csv, sub/inner.csv, big.csv (2 MiB, sparse), pipe.csv (FIFO), folder/
//     link-out.csv -> ../outside/secret.csv, link-in.csv -> ok.csv, link-dir -> ../outside
const base = mkdtempSync(join(tmpdir(), 'fairsweep-data-root-'));
const outside = join(base, 'outside');
const dir = join(base, 'data');
mkdirSync(outside);
mkdirSync(join(dir, 'sub'), { recursive: true });
mkdirSync(join(dir, 'folder'));
writeFileSync(join(outside, 'secret.csv'), `${SECRET}\n${SECRET}\n`);
writeFileSync(join(dir, 'ok.csv'), 'a,b\n1,2\n');
writeFileSync(join(dir, 'sub', 'inner.csv'), 'c\n3\n');
writeFileSync(join(dir, 'big.csv'), '');
truncateSync(join(dir, 'big.csv'), 2 * MIB);
execFileSync('mkfifo', [join(dir, 'pipe.csv')]);
symlinkSync(join('..', 'outside', 'secret.csv'), join(dir, 'link-out.csv'));
symlinkSync('ok.csv', join(dir, 'link-in.csv'));
symlinkSync(join('..', 'outside'), join(dir, 'link-dir'));

const root = new DataRoot(dir, MIB);

/** Runs `read`, expecting a refusal of class `cls` whose message matches `re` and holds nothing of the secret file. */
function refused(t: ExecutionContext, path: string, cls: typeof DatasetError, re: RegExp): void {
  const started = Date.now();
  const err = t.throws(() => root.read(path), { instanceOf: cls }, path);
  t.regex(err?.message ?? '', re, path);
  t.false(err?.message.includes('root:'), `${path}: ${err?.message}`);
  t.true(Date.now() - started < 2_000, `${path} refused in ${Date.now() - started} ms`);
}

test('paths inside the data directory are read, relative to it; `..` and links that stay inside are fine', (t) => {
  t.is(root.read('ok.csv').toString(), 'a,b\n1,2\n');
  t.is(root.read('./sub/inner.csv').toString(), 'c\n3\n');
  t.is(root.read('sub/../ok.csv').toString(), 'a,b\n1,2\n');
  t.is(root.read('link-in.csv').toString(), 'a,b\n1,2\n');
  // A data directory given by a relative path, or reached through a link, is the same directory.
  t.is(new DataRoot(relative(process.cwd(), dir), MIB).read('ok.csv').toString(), 'a,b\n1,2\n');
  symlinkSync(dir, join(base, 'data-link'));
  t.is(new DataRoot(join(base, 'data-link'), MIB).read('sub/inner.csv').toString(), 'c\n3\n');
});

test('absolute paths, `..` out of the directory and symbolic links out of it are refused before anything is read', (t) => {
  refused(t, '../outside/secret.csv', DataPathError, /^dataset\.path: "\.\.\/outside\/secret\.csv" leads out of the worker's data directory$/);
  refused(t, '../../../../../../../../etc/passwd', DataPathError, /leads out of the worker's data directory/);
  refused(t, 'sub/../../outside/secret.csv', DataPathError, /leads out of the worker's data directory/);
  refused(t, '/etc/passwd', DataPathError, /^dataset\.path: "\/etc\/passwd" is an absolute path; dataset paths are relative to the worker's data directory$/);
  refused(t, join(outside, 'secret.csv'), DataPathError, /is an absolute path/);
  refused(t, '/dev/zero', DataPathError, /is an absolute path/);
  refused(t, 'link-out.csv', DataPathError, /^dataset\.path: "link-out\.csv" resolves, through a symbolic link, to a file outside the worker's data directory$/);
  refused(t, 'link-dir/secret.csv', DataPathError, /resolves, through a symbolic link, to a file outside/);
  refused(t, 'ok.csv\0', DataPathError, /contains a NUL byte/);
  // The refusal holds nothing of the file: the check happens before any read.
  t.true(readFileSync(join(outside, 'secret.csv'), 'utf8').includes(SECRET));
});

test('only regular files within the size cap are read: FIFOs, devices and directories are refused at once', (t) => {
  refused(t, 'pipe.csv', DatasetError, /^dataset\.path: "pipe\.csv" is a FIFO \(named pipe\), not a regular file$/);
  refused(t, 'folder', DatasetError, /"folder" is a directory, not a regular file/);
  refused(t, '.', DatasetError, /is a directory, not a regular file/);
  refused(t, 'big.csv', DatasetError, /^dataset\.path: "big\.csv" is 2\.0 MiB, over the limit of 1\.0 MiB \(a worker reads larger files with --max-data-mb\)$/);
  refused(t, 'absent.csv', DatasetError, /"absent\.csv" is not a file in the worker's data directory \(ENOENT\)/);
  // A data directory that holds devices: /dev/zero is never read (it would never end).
  const devices = new DataRoot('/dev', MIB);
  const started = Date.now();
  t.throws(() => devices.read('zero'), { instanceOf: DatasetError, message: /"zero" is a character device, not a regular file/ });
  t.throws(() => devices.read('null'), { instanceOf: DatasetError, message: /"null" is a character device/ });
  t.true(Date.now() - started < 2_000);
});

test('readRegularFile enforces the cap while reading, not only from stat (files whose size stat does not tell)', (t) => {
  // /proc files are regular with a stat size of 0, yet hold text.
  t.true(readRegularFile('/proc/self/status', { maxBytes: MIB, shownAs: 'status' }).toString().includes('Pid:'));
  const err = t.throws(() => readRegularFile('/proc/self/status', { maxBytes: 16, shownAs: 'status' }), { instanceOf: RegularFileError });
  t.is(err?.problem, 'too-large');
  t.is(err?.message, 'status is larger than the limit of 16 bytes');
  // Exactly at the cap is within it.
  writeFileSync(join(base, 'exact'), 'x'.repeat(100));
  t.is(readRegularFile(join(base, 'exact'), { maxBytes: 100, shownAs: 'exact' }).length, 100);
  t.throws(() => readRegularFile(join(base, 'exact'), { maxBytes: 99, shownAs: 'exact' }), { instanceOf: RegularFileError, message: 'exact is 100 bytes, over the limit of 99 bytes' });
  // noFollow refuses a link as the last component at open time.
  t.throws(() => readRegularFile(join(dir, 'link-in.csv'), { maxBytes: MIB, shownAs: 'link', noFollow: true }), { instanceOf: RegularFileError, message: /link is a symbolic link, not a regular file \(ELOOP\)/ });
});

test('the predictions reader of `fairsweep metrics` refuses FIFOs, devices and files over its cap', (t) => {
  const started = Date.now();
  t.throws(() => readPredictionsCsv('/dev/zero'), { instanceOf: MetricsInputError, message: '/dev/zero is a character device, not a regular file' });
  t.throws(() => readPredictionsCsv(join(dir, 'pipe.csv')), { instanceOf: MetricsInputError, message: /pipe\.csv is a FIFO \(named pipe\), not a regular file/ });
  t.throws(() => readPredictionsCsv(join(dir, 'big.csv'), MIB), { instanceOf: MetricsInputError, message: /big\.csv is 2\.0 MiB, over the limit of 1\.0 MiB \(--max-data-mb raises it\)/ });
  t.throws(() => readPredictionsCsv(join(dir, 'absent.csv')), { instanceOf: MetricsInputError, message: /absent\.csv: cannot read \(ENOENT\)/ });
  t.true(Date.now() - started < 2_000);
  writeFileSync(join(base, 'p.csv'), 'y_true,y_pred,group\n1,1,a\n0,1,b\n');
  t.is(readPredictionsCsv(join(base, 'p.csv')).group.length, 2);
});

test('`fairsweep metrics` on a FIFO or a device ends at once with the reason', async (t) => {
  for (const [path, re] of [[join(dir, 'pipe.csv'), /pipe\.csv is a FIFO \(named pipe\), not a regular file/], ['/dev/zero', /\/dev\/zero is a character device, not a regular file/]] as const) {
    const p = spawnCli(['metrics', path]);
    const timer = setTimeout(() => void p.kill('SIGKILL'), 15_000);
    const exit = await p.exited;
    clearTimeout(timer);
    t.is(exit.code, 1, p.output);
    t.regex(p.output, re);
  }
  const p = spawnCli(['metrics', join(dir, 'big.csv'), '--max-data-mb', '1']);
  t.is((await p.exited).code, 1);
  t.regex(p.output, /big\.csv is 2\.0 MiB, over the limit of 1\.0 MiB/);
});
