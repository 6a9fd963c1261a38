import { Goal, type Progress, type SweepServiceClient, type TrialResult } from '../proto/index.js';
import { configurationFrontier, type AggregatedObjective, type ConfigurationFrontierDocument, type SelectionMethod } from '../coordinator/configurations/index.js';
import { call, collect } from './client.js';
import { progressJson, stateName } from './progress-format.js';
import { specProtocol } from './report-command.js';
import { toResultRow, type ResultRow } from './result-format.js';

/** How often a watcher recomputes the configuration frontier while results stream in (the final line is always fresh). */
const RECOMPUTE_MS = 1000;

/**
 * A sweep's results as the client has them, and their configuration frontier on the spec's
 * objectives and selection: what `status` and `watch` show by default (the coordinator's own
 * progress counts trials).
 */
export class ConfigurationTally {
  private readonly rows = new Map<string, ResultRow>();
  private cached: ConfigurationFrontierDocument | undefined;
  private dirty = true;
  private computedAt = 0;

  constructor(
    private readonly objectives: readonly AggregatedObjective[],
    private readonly selection: SelectionMethod | undefined,
  ) {}

  /** Ids of the results held now. */
  ids(): Set<string> {
    return new Set(this.rows.keys());
  }

  add(r: TrialResult): void {
    if (this.rows.has(r.trialId)) return;
    this.rows.set(r.trialId, toResultRow(r));
    this.dirty = true;
  }

  /** The frontier of the results so far; with `fresh` false, one at most RECOMPUTE_MS old. */
  frontier(fresh = true): ConfigurationFrontierDocument {
    if (this.cached && !this.dirty) return this.cached;
    if (this.cached && !fresh && Date.now() - this.computedAt < RECOMPUTE_MS) return this.cached;
    this.dirty = false;
    this.cached = configurationFrontier([...this.rows.values()], this.objectives, this.selection ? { selection: this.selection } : {});
    this.computedAt = Date.now();
    return this.cached;
  }
}

/** A tally of a sweep on a coordinator: its spec's objectives and selection, and every result recorded so far. */
export async function sweepTally(client: SweepServiceClient, sweepId: string, address: string): Promise<ConfigurationTally> {
  const got = await call(client, client.get, { sweepId }, address);
  const fromSpec = specProtocol(got.sweep?.specYaml ?? '');
  const objectives = fromSpec.objectives ?? (got.sweep?.spec?.objectives ?? []).map((o) => ({ metric: o.metric, goal: o.goal === Goal.GOAL_MIN ? ('min' as const) : ('max' as const) }));
  const tally = new ConfigurationTally(objectives, fromSpec.selection);
  for (const r of await collect(client.results({ sweepId }), address)) if (r.result) tally.add(r.result);
  return tally;
}

/** `ID completed: 12/12 done (ok 12, failed 0, running 0), configurations 6, frontier 3 hypervolume 0.0123`. */
export function configurationProgressLine(p: Progress, doc: ConfigurationFrontierDocument): string {
  const hv = doc.hypervolume !== null ? ` hypervolume ${doc.hypervolume.toPrecision(5)}` : '';
  return `${p.sweepId} ${stateName(p.state)}: ${p.ok + p.failed + (p.pruned ?? 0)}/${p.total} done (ok ${p.ok}, failed ${p.failed}${p.pruned ? `, pruned ${p.pruned}` : ''}, running ${p.running}), configurations ${doc.configurations}, frontier ${doc.frontier.length}${hv}`;
}

/** progressJson with the configuration frontier: `frontier_size` and `hypervolume` count configurations, `trial_frontier_size` trials. */
export function configurationProgressJson(p: Progress, doc: ConfigurationFrontierDocument): Record<string, string | number | null | string[]> {
  return { ...progressJson(p), configurations: doc.configurations, frontier_size: doc.frontier.length, hypervolume: doc.hypervolume, trial_frontier_size: p.frontierSize, frontier_configurations: doc.frontier.map((r) => r.configuration_id) };
}
