/**
 * `npm run reliability`: runs the fault-injection tests with real processes and prints the
 * reliability table (fault injected, trials submitted, recorded, lost, duplicated).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const files = ['worker-faults', 'local-run', 'coordinator-restart', 'nats-restart', 'nats-cluster', 'malformed-messages', 'forged-messages', 'nats-fuzz', 'load', 'sweep-e2e'].map((f) => join(here, `${f}.test.js`)).filter((f) => existsSync(f));
const dir = mkdtempSync(join(tmpdir(), 'fairsweep-reliability-'));
const out = join(dir, 'rows.jsonl');
const loadOut = join(dir, 'load.jsonl');
const ava = join(here, '../../node_modules/ava/entrypoints/cli.mjs');
const run = spawnSync(process.execPath, [ava, ...files], { stdio: 'inherit', env: { ...process.env, FAIRSWEEP_RELIABILITY_OUT: out, FAIRSWEEP_LOAD_OUT: loadOut } });
const rows = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string | number>) : [];
console.log('\n| fault injected | trials submitted | recorded | lost | duplicated |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.fault} | ${r.submitted} | ${r.recorded} | ${r.lost} | ${r.duplicated} |`);
if (existsSync(loadOut)) {
  console.log('\nLoad figures:');
  for (const line of readFileSync(loadOut, 'utf8').trim().split('\n').filter(Boolean)) console.log(`  ${line}`);
}
rmSync(dir, { recursive: true, force: true });
process.exitCode = run.status ?? 1;
