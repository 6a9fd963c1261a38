#!/usr/bin/env node
// A command trial in Node with no dependency: logistic regression on spurious-correlation data
// (two training environments where a spurious feature agrees with the label 90% and 80% of the
// time, a test split where it agrees 10%). Reads FAIRSWEEP_TRIAL_FILE, writes predictions.csv and
// metrics.json to FAIRSWEEP_OUTPUT_DIR and progress lines to FAIRSWEEP_PROGRESS_FILE.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const trial = JSON.parse(readFileSync(process.env.FAIRSWEEP_TRIAL_FILE, 'utf8'));
const { lr = 0.1, steps = 200, l2 = 0 } = trial.params;
const out = process.env.FAIRSWEEP_OUTPUT_DIR;

// Seeded generator (mulberry32) and a normal draw.
let s = (trial.seed * 2654435761) >>> 0;
const rand = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

/** n rows: y, the attribute a (agrees with y with probability pAgree), features [y + noise, a + small noise]. */
function makeSplit(n, pAgree) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const y = rand() < 0.5 ? 1 : 0;
    const a = rand() < pAgree ? y : 1 - y;
    rows.push({ y, a, x: [y * 2 - 1 + 1.5 * normal(), a * 2 - 1 + 0.3 * normal()] });
  }
  return rows;
}

const environments = [makeSplit(400, 0.9), makeSplit(400, 0.8)];
const train = environments.flat();
const val = makeSplit(400, 0.85);
const test = makeSplit(400, 0.1);
const w = [0, 0];
let b = 0;
const proba = (x) => 1 / (1 + Math.exp(-(w[0] * x[0] + w[1] * x[1] + b)));
let loss = 0;
for (let step = 1; step <= steps; step++) {
  const g = [0, 0];
  let gb = 0;
  loss = 0;
  for (const r of train) {
    const p = proba(r.x);
    loss -= r.y ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12);
    g[0] += (p - r.y) * r.x[0];
    g[1] += (p - r.y) * r.x[1];
    gb += p - r.y;
  }
  loss /= train.length;
  for (const k of [0, 1]) w[k] -= lr * (g[k] / train.length + l2 * w[k]);
  b -= (lr * gb) / train.length;
  if (process.env.FAIRSWEEP_PROGRESS_FILE && (step % 50 === 0 || step === steps)) {
    appendFileSync(process.env.FAIRSWEEP_PROGRESS_FILE, `${JSON.stringify({ step, metrics: { 'train/loss': loss } })}\n`);
  }
}

const lines = ['split,y_true,y_score,group,environment'];
environments.forEach((env, e) => env.forEach((r) => lines.push(`train,${r.y},${proba(r.x)},${r.a},${e}`)));
for (const [name, rows] of [['val', val], ['test', test]]) for (const r of rows) lines.push(`${name},${r.y},${proba(r.x)},${r.a},0`);
writeFileSync(join(out, 'predictions.csv'), `${lines.join('\n')}\n`);
writeFileSync(join(out, 'metrics.json'), JSON.stringify({ 'train/loss': loss, 'model/w_spurious': w[1] }));
console.log(`trained ${steps} steps: loss ${loss.toFixed(4)}, weights ${w.map((v) => v.toFixed(3)).join(', ')}`);
