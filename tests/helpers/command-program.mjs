#!/usr/bin/env node
// The program of the command-trial tests: what it does is the `behaviour` param of its trial.
//   ok        copies the file `predictions_from` (if any) to predictions.csv, writes `metrics` (a JSON
//             text) to metrics.json, records the GPU variables as metrics env/* and the number of
//             files in FAIRSWEEP_CACHE_DIR as env/cache_dir_files, then adds one there; with
//             `big_bytes`, also writes a file big.bin of that many bytes;
//   exit      prints `stderr` on stderr and exits with `code`;
//   crash     kills itself with SIGKILL;
//   sleep     writes its pid to `pid_file`, then sleeps; on SIGTERM writes `<pid_file>.term` and
//             exits 143, unless `ignore_term` (then only SIGKILL ends it);
//   spawn     starts a grandchild that sleeps, writes both pids to `pid_file`, then sleeps;
//   flaky     fails (exit 3) on attempt 1, behaves as `ok` after;
//   progress  appends `steps` progress lines to FAIRSWEEP_PROGRESS_FILE, `step_ms` apart, then `ok`
//             (with `quality`, each line also reports val/score = quality).
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const trial = JSON.parse(readFileSync(process.env.FAIRSWEEP_TRIAL_FILE, 'utf8'));
const p = trial.params;
const out = process.env.FAIRSWEEP_OUTPUT_DIR;
const forever = () => setInterval(() => undefined, 1_000_000);

function ok() {
  if (p.predictions_from) copyFileSync(p.predictions_from, join(out, 'predictions.csv'));
  const own = p.metrics ? JSON.parse(p.metrics) : {};
  for (const name of ['CUDA_VISIBLE_DEVICES', 'HIP_VISIBLE_DEVICES', 'ROCR_VISIBLE_DEVICES']) {
    if (process.env[name] !== undefined) own[`env/${name.toLowerCase()}`] = Number(process.env[name]);
  }
  // The cache of the trial's prefix group: how many trials of the group ran here before this one.
  const cache = process.env.FAIRSWEEP_CACHE_DIR;
  own['env/cache_dir_files'] = readdirSync(cache).length;
  own['env/worker_variables'] = Object.keys(process.env).filter((k) => k.startsWith('FAIRSWEEP_NATS')).length;
  writeFileSync(join(cache, `${trial.trial_id}.done`), '');
  writeFileSync(join(out, 'metrics.json'), JSON.stringify(own));
  writeFileSync(join(out, 'note.txt'), `trial ${trial.trial_id} attempt ${trial.attempt}\n`);
  if (p.big_bytes) writeFileSync(join(out, 'big.bin'), Buffer.alloc(p.big_bytes));
  console.log(`ok ${trial.trial_id} argv ${JSON.stringify(process.argv.slice(2))}`);
}

switch (p.behaviour) {
  case 'exit':
    process.stderr.write(String(p.stderr ?? ''));
    process.exitCode = p.code;
    break;
  case 'crash':
    process.kill(process.pid, 'SIGKILL');
    break;
  case 'sleep':
    process.on('SIGTERM', () => {
      if (p.ignore_term) return;
      writeFileSync(`${p.pid_file}.term`, 'term\n');
      process.exit(143);
    });
    writeFileSync(p.pid_file, `${process.pid}\n`);
    forever();
    break;
  case 'spawn': {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1e6)'], { stdio: 'ignore' });
    writeFileSync(p.pid_file, `${process.pid}\n${child.pid}\n`);
    forever();
    break;
  }
  case 'progress': {
    let step = 0;
    const timer = setInterval(() => {
      step++;
      const metrics = { 'train/loss': 1 / step, ...(p.quality !== undefined ? { 'val/score': p.quality } : {}) };
      appendFileSync(process.env.FAIRSWEEP_PROGRESS_FILE, `${JSON.stringify({ step, metrics })}\n`);
      if (step >= p.steps) {
        clearInterval(timer);
        ok();
      }
    }, p.step_ms);
    break;
  }
  case 'flaky':
    if (trial.attempt === 1) {
      process.stderr.write('first attempt fails\n');
      process.exitCode = 3;
    } else ok();
    break;
  default:
    ok();
}
