import type { ConfigurationRow } from '../coordinator/configurations/index.js';
import { CliError } from './cli-error.js';

/** `--select METRIC:max|min`: per row, the configuration with the best mean of METRIC. */
export interface TableSelection {
  metric: string;
  goal: 'max' | 'min';
}

/** `--constraint METRIC<=V` or `METRIC>=V`: only configurations whose mean satisfies it may be chosen. */
export interface TableConstraint {
  metric: string;
  op: '<=' | '>=';
  value: number;
}

/** Parses `METRIC:max|min`, naming the flag and the text when it is not that. */
export function parseSelection(text: string, flag = '--select'): TableSelection {
  const i = text.lastIndexOf(':');
  const metric = text.slice(0, i).trim();
  const goal = text.slice(i + 1).trim();
  if (i <= 0 || !metric || (goal !== 'max' && goal !== 'min')) throw new CliError(`${flag}: expected METRIC:max or METRIC:min, got "${text}"`);
  return { metric, goal };
}

/** Parses `--frontier METRIC:goal,METRIC:goal`: at least two metrics, each once. */
export function parseFrontier(text: string, flag = '--frontier'): TableSelection[] {
  const goals = text.split(',').map((part) => parseSelection(part, flag));
  if (goals.length < 2) throw new CliError(`${flag}: a frontier needs two or more METRIC:goal, comma-separated, got "${text}"`);
  const twice = goals.find((g, i) => goals.findIndex((h) => h.metric === g.metric) !== i);
  if (twice) throw new CliError(`${flag}: ${twice.metric} is named twice in "${text}"`);
  return goals;
}

/** Parses `METRIC<=V` or `METRIC>=V` (V a finite number). */
export function parseConstraint(text: string, flag = '--constraint'): TableConstraint {
  const m = /^\s*([^<>=\s]+)\s*(<=|>=)\s*(\S+)\s*$/.exec(text);
  const value = m ? Number(m[3]) : NaN;
  if (!m || !m[1] || (m[2] !== '<=' && m[2] !== '>=') || !Number.isFinite(value)) throw new CliError(`${flag}: expected METRIC<=NUMBER or METRIC>=NUMBER, got "${text}"`);
  return { metric: m[1], op: m[2], value };
}

const satisfies = (c: ConfigurationRow, k: TableConstraint): boolean => {
  const s = c.stats[k.metric];
  if (!s) return false;
  return k.op === '<=' ? s.mean <= k.value : s.mean >= k.value;
};

/**
 * The chosen configuration of one row's candidates: the best mean of the selection metric among
 * those meeting every constraint (the first in results order on a tie); undefined when none does.
 * Candidates without the metric (no ok seed) are never chosen.
 */
export function chooseConfiguration(candidates: readonly ConfigurationRow[], select: TableSelection, constraints: readonly TableConstraint[]): ConfigurationRow | undefined {
  let best: ConfigurationRow | undefined;
  let bestValue = 0;
  for (const c of candidates) {
    const s = c.stats[select.metric];
    if (!s || !constraints.every((k) => satisfies(c, k))) continue;
    const better = best === undefined || (select.goal === 'max' ? s.mean > bestValue : s.mean < bestValue);
    if (better) {
      best = c;
      bestValue = s.mean;
    }
  }
  return best;
}

/** How the choice is stated under a table: the rule, so a reader knows which split chose. */
export function selectionCaption(select: TableSelection, constraints: readonly TableConstraint[]): string {
  const bound = constraints.length ? ` with ${constraints.map((k) => `${k.metric} ${k.op === '<=' ? '≤' : '≥'} ${k.value}`).join(' and ')}` : '';
  return `per row, the configuration with the ${select.goal === 'max' ? 'highest' : 'lowest'} mean ${select.metric}${bound}`;
}
