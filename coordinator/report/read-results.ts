import { readFile } from 'node:fs/promises';
import type { Params } from '../../proto/index.js';
import type { ReportGroupMetrics, ReportTrial } from './report-data.js';
import { ReportError } from './report-error.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function numbers(v: unknown, where: string): Record<string, number> {
  if (v === undefined) return {};
  if (!isObject(v)) throw new ReportError(`${where}: expected an object of numbers`);
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'number') out[k] = x;
  return out;
}

function groups(v: unknown, where: string): ReportGroupMetrics[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ReportError(`${where}: "group_metrics" must be a list`);
  return v.map((g: unknown, j) => {
    if (!isObject(g)) throw new ReportError(`${where}: group_metrics[${j}] must be an object`);
    return { split: String(g.split ?? ''), group: String(g.group ?? ''), metrics: numbers(g.metrics, `${where} group_metrics[${j}].metrics`) };
  });
}

/** Parses results.jsonl text (as `fairsweep run` and `fairsweep results` write it) into report trials, failed ones included. */
export function parseResultsJsonl(text: string, path: string): ReportTrial[] {
  const trials: ReportTrial[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${path} line ${i + 1}`;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      throw new ReportError(`${where}: not valid JSON`);
    }
    if (!isObject(o)) throw new ReportError(`${where}: expected a JSON object`);
    const failed = o.status !== undefined && o.status !== 'ok';
    trials.push({
      trial_id: typeof o.trial_id === 'string' ? o.trial_id : `line-${i + 1}`,
      ...(typeof o.sweep_id === 'string' ? { sweep_id: o.sweep_id } : {}),
      params: (isObject(o.params) ? o.params : {}) as Params,
      seed: typeof o.seed === 'number' ? o.seed : 0,
      status: failed ? 'failed' : 'ok',
      metrics: numbers(o.metrics, `${where} "metrics"`),
      group_metrics: groups(o.group_metrics, where),
      ...(typeof o.error === 'string' ? { error: o.error } : {}),
    });
  });
  return trials;
}

export async function readResultsFile(path: string): Promise<ReportTrial[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ReportError(`${path}: cannot read the results (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  return parseResultsJsonl(text, path);
}
