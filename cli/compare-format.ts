import { groupConfigurations, pairedDifference, varyingParams, type Configuration, type PairedDifference, type SummaryOptions, type TrialLike } from '../coordinator/configurations/index.js';
import type { Params } from '../proto/index.js';
import { CliError } from './cli-error.js';
import { matches, paramText } from './param-filter.js';

export interface ComparisonRow {
  configuration_id: string;
  params: Params;
  metric: string;
  baseline_id: string;
  /** Seeds of the configuration or of the baseline that the other lacks (failed or not run): left out of the pairing. */
  unpaired_seeds: number[];
  difference: PairedDifference;
}

/** A metric's ok values by seed. */
function valuesBySeed(c: Configuration, metric: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of c.ok) {
    const v = t.metrics[metric];
    if (v !== undefined && Number.isFinite(v)) m.set(t.seed, v);
  }
  return m;
}

function pickOne(configs: readonly Configuration[], filter: Params, where: string): Configuration {
  const hit = configs.filter((c) => matches(c.params, filter));
  if (hit.length === 1 && hit[0]) return hit[0];
  const text = Object.entries(filter).map(([k, v]) => `${k}=${paramText(v)}`).join(',');
  if (hit.length === 0) throw new CliError(`compare: no configuration in ${where} has ${text}`);
  throw new CliError(`compare: ${hit.length} configurations in ${where} have ${text}; they differ in ${varyingParams(hit).join(', ')}: name those too in --baseline`);
}

export interface CompareInput {
  /** The results the baseline comes from. */
  baseline: { trials: readonly TrialLike[]; name: string };
  /** Results compared with it: the same file, or a second one. */
  other?: { trials: readonly TrialLike[]; name: string };
  /** Params of the baseline configuration; without it (two files) each configuration is compared with its namesake. */
  filter?: Params;
  metrics: readonly string[];
  summary?: SummaryOptions;
}

/**
 * Per configuration and metric, the paired difference from the baseline over the seeds both have.
 * One file: every configuration against the one `filter` names. Two files: against that
 * configuration of the first, or, without a filter, each configuration of the second against the
 * same params in the first.
 */
export function compareConfigurations(input: CompareInput): ComparisonRow[] {
  const base = groupConfigurations(input.baseline.trials);
  const others = input.other ? groupConfigurations(input.other.trials) : base;
  if (!input.other && !input.filter) throw new CliError('compare: give --baseline KEY=VALUE (the configuration to compare with), or a second results file');
  const fixedBase = input.filter ? pickOne(base, input.filter, input.baseline.name) : undefined;
  const rows: ComparisonRow[] = [];
  for (const c of others) {
    const b = fixedBase ?? base.find((x) => x.id === c.id);
    if (!b || (!input.other && b.id === c.id)) continue;
    for (const metric of input.metrics) {
      const mine = valuesBySeed(c, metric);
      const theirs = valuesBySeed(b, metric);
      const allSeeds = new Set([...c.trials.map((t) => t.seed), ...b.trials.map((t) => t.seed)]);
      const difference = pairedDifference(mine, theirs, input.summary);
      rows.push({ configuration_id: c.id, params: c.params, metric, baseline_id: b.id, unpaired_seeds: [...allSeeds].filter((s) => !difference.seeds.includes(s)).sort((x, y) => x - y), difference });
    }
  }
  if (rows.length === 0) throw new CliError(`compare: nothing to compare${input.other ? `: no configuration of ${input.other.name} is also in ${input.baseline.name}` : ': the results hold only the baseline'}`);
  return rows;
}

const f = (v: number | null, digits: number): string => (v === null ? '—' : v.toFixed(digits));

/** The comparison as markdown: params that vary, metric, shared seeds, mean difference and its interval (undefined with one seed). */
export function comparisonMarkdown(rows: readonly ComparisonRow[], confidence: number, digits = 3): string {
  const varying = varyingParams(rows);
  const keys = varying.length ? varying : [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
  const head = [...(keys.length ? keys : ['configuration']), 'metric', 'paired seeds', 'difference (mean)', `${Math.round(confidence * 100)} % CI`, 'unpaired seeds'];
  const md = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const lines = rows.map((r) => md([
    ...(keys.length ? keys.map((k) => paramText(r.params[k])) : [r.configuration_id]),
    r.metric,
    String(r.difference.n),
    f(r.difference.mean, digits),
    r.difference.ci ? `[${f(r.difference.ci[0], digits)}, ${f(r.difference.ci[1], digits)}]` : 'undefined (fewer than 2 seeds)',
    r.unpaired_seeds.length ? r.unpaired_seeds.join(', ') : '—',
  ]));
  return `${[md(head), md(head.map(() => '---')), ...lines].join('\n')}\n`;
}
