import test from 'ava';
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readResultsFile } from '../coordinator/results/index.js';
import { REPO_ROOT } from './helpers/repo-files.js';
import { tempDir } from './helpers/temp-dir.js';

const run = promisify(execFile);

/** Every file under `dir`, relative to it. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

test('npm run bundle: one archive under 40 MB with no tests, maps or other platforms\' binaries; unpacked elsewhere it runs the quickstart without npm', async (t) => {
  const dir = await tempDir(t, 'bundle');
  const out = join(dir, 'out');
  const built = await run('bash', [join(REPO_ROOT, 'deploy/bundle/bundle.sh'), out], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
  const [archive] = await readdir(out);
  if (!archive) return t.fail('no archive written');
  t.regex(archive, new RegExp(`^fairsweep-\\d+\\.\\d+\\.\\d+-${process.platform}-${process.arch}\\.tar\\.gz$`));
  const mb = (await stat(join(out, archive))).size / 2 ** 20;
  t.log(`${archive}: ${mb.toFixed(1)} MB compressed (${built.stdout.trim()})`);
  t.true(mb <= 40, `${mb.toFixed(1)} MB compressed, over 40 MB`);

  const unpacked = join(dir, 'host');
  await run('mkdir', ['-p', unpacked]);
  await run('tar', ['-xzf', join(out, archive), '-C', unpacked]);
  const root = join(unpacked, archive.replace(/\.tar\.gz$/, ''));
  const all = await files(root);
  t.true(all.includes('dist/cli/main.js'));
  t.false(all.some((f) => f.startsWith('dist/tests/')), 'no tests');
  t.deepEqual(all.filter((f) => f.endsWith('.map')), [], 'no source maps');
  t.deepEqual(all.filter((f) => /\/dist\/(darwin|win32)-/.test(f)), [], "no other platform's binaries");
  t.true(all.includes('node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'), 'the wasm backend keeps its binary');
  t.true(all.includes('node_modules/echarts/dist/echarts.min.js'), 'the report keeps echarts');
  t.true(all.includes(`node_modules/webgpu/dist/${process.platform}-${process.arch}/dawn.node`), "the webgpu backend keeps this platform's Dawn");
  t.true(all.includes('node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.node.js'));

  // The unpacked copy alone: its own node_modules, no npm, no registry, nothing of this checkout.
  const env = { PATH: process.env.PATH ?? '', HOME: dir, npm_config_registry: 'http://127.0.0.1:9/' };
  const results = join(dir, 'quickstart');
  const q = await run(process.execPath, [join(root, 'dist/cli/main.js'), 'run', join(root, 'examples/quickstart.yaml'), '--workers', '2', '--out', results], { cwd: dir, env, maxBuffer: 16 << 20 });
  t.regex(q.stdout, /wrote .*results\.jsonl, frontier\.json, summary\.txt, report\.html/);
  const rows = await readResultsFile(join(results, 'results.jsonl'));
  t.is(rows.length, 12);
  t.true(rows.every((r) => r.status === 'ok'), rows.map((r) => r.error).join('; '));
});
