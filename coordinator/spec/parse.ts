import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { Param, Params } from '../../proto/index.js';
import { datasetOptionsSchema, getMethod, methodNames } from '../../catalog/index.js';
import { SpecError } from '../errors.js';
import { axisValues, type Axis } from './grid.js';
import { DEFAULT_MAX_TRIALS, DEFAULT_SEARCH_BATCH, specSchema, type Distribution, type Search } from './schema.js';
import { UnitSpace, type SearchAlgorithmName } from '../search/index.js';
import { checkSpecData, checkSpecSize, checkYamlDepth } from './limits.js';
import { checkEncodedSizes, checkGridSize, checkParamValues } from './size-checks.js';
import { checkTrialMemory, DEFAULT_MAX_TRIAL_MEMORY_MB } from './memory-check.js';
import { MAX_DEFAULT_SHARD_SIZE, defaultShardSize } from './trials.js';
import { packShardCap } from './pack-shards.js';
import { distributionIssues, drawSamples } from './search.js';
import { issueMessages, describeValue, objectKeysAt } from './zod-issues.js';
import { closestMatch, unknownNameMessage } from './suggest.js';
import { canonicalJson, packNumber } from '../../proto/index.js';
import { selectionNote, type Aggregate, type SelectionMethod } from '../configurations/index.js';
import { selectionIssue } from './selection-check.js';
import { resolveEarlyStop, takesEvalEvery, type EarlyStopSpec } from './early-stop.js';

export interface Objective {
  metric: string;
  goal: 'max' | 'min';
  /** How a configuration's seeds become one value (default mean). */
  aggregate?: Aggregate;
}

/** A spec that passed every check: what the coordinator plans and dispatches. */
export interface ValidatedSpec {
  name: string;
  method: string;
  dataset?: { name: string; options: Params };
  params: Params;
  /** Grid axes in spec order, `{product}` / `{linspace}` forms materialised. */
  grid: Axis[];
  /** The random search, if any, and its drawn points (each crossed with the grid); `[]` without one. */
  search?: Search;
  samples: Params[];
  /** The adaptive search, when `search.algorithm` is set (then `samples` is empty and the grid too). */
  adaptive?: AdaptiveSpec;
  seeds: number[];
  objectives: Objective[];
  /** DomainBed model selection named by the spec, if any. */
  selection?: SelectionMethod;
  /** Early stopping (`early_stop:`), resolved against the objectives. */
  earlyStop?: EarlyStopSpec;
  /** What a user should know but is not an error: objectives on test metrics with no `selection`. */
  warnings: string[];
  shardSize?: number;
  maxAttempts: number;
  /** The spec's `pack` as the Shard message carries it: PACK_AUTO (0), PACK_OFF (1), or K ≥ 2 trials at most per pack. */
  pack: number;
  /** Number of trials: grid points times random samples (1 without a search) times seeds; budget times seeds for an adaptive search. */
  trials: number;
}

/** An adaptive search as validated: every default filled in. */
export interface AdaptiveSpec {
  algorithm: SearchAlgorithmName;
  budget: number;
  batch: number;
  seed: number;
  space: Record<string, Distribution>;
}

export interface SpecLimits {
  /** Largest number of trials accepted; default DEFAULT_MAX_TRIALS. */
  maxTrials?: number;
  /** Largest estimated memory of one trial, in MiB (catalog memory estimates); default DEFAULT_MAX_TRIAL_MEMORY_MB. */
  maxTrialMemoryMb?: number;
}

/**
 * Parses YAML (or JSON) text and validates it; errors name the line or the path of the bad value.
 * The text's size and nesting (SPEC_LIMITS) are checked before it is parsed into objects.
 */
export function parseSpecText(text: string, limits: SpecLimits = {}): ValidatedSpec {
  let data: unknown;
  checkSpecSize(text);
  checkYamlDepth(text);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  // Warnings (unresolved tags, unknown directives) are mistakes in a spec too: refuse them.
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const pos = problem.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : 'YAML';
    throw new SpecError([{ path: '', message: `invalid YAML at ${where}: ${problem.message.split('\n')[0]}` }], { cause: problem });
  }
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new SpecError([{ path: '', message: `invalid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` }], { cause: err });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw SpecError.at('', `expected a mapping of spec keys (name, method, grid, ...), got ${describeValue(data)}`);
  }
  return validateSpec(data, limits);
}

/** Validates an already-parsed spec object against the schema and the method registry. */
export function validateSpec(data: unknown, limits: SpecLimits = {}): ValidatedSpec {
  checkSpecData(data);
  const parsed = specSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw new SpecError(issueMessages(parsed.error, { schema: specSchema }));
  const s = parsed.data;
  // Sizes first (values here, the grid from its axes' lengths below): nothing is expanded, drawn or stored before they pass.
  checkParamValues(s);

  const method = getMethod(s.method);
  if (!method) {
    const match = closestMatch(s.method, methodNames());
    throw SpecError.at('method', `unknown method "${s.method}"; ${match ? `did you mean "${match}"? ` : ''}registered methods: ${methodNames().join(', ')}`);
  }

  let dataset: ValidatedSpec['dataset'];
  if (method.datasets.length === 0) {
    if (s.dataset) throw SpecError.at('dataset', `method "${method.name}" takes no dataset`);
  } else {
    if (!s.dataset) throw SpecError.at('dataset', `required by method "${method.name}" (one of: ${method.datasets.join(', ')})`);
    const { name, ...options } = s.dataset;
    if (!method.datasets.includes(name)) {
      const match = closestMatch(name, method.datasets);
      throw SpecError.at('dataset.name', `method "${method.name}" does not support dataset "${name}"${match ? `; did you mean "${match}"?` : ''} (supported: ${method.datasets.join(', ')})`);
    }
    const schema = datasetOptionsSchema(name);
    if (schema) {
      const r = schema.safeParse(options, { reportInput: true });
      if (!r.success) throw new SpecError(issueMessages(r.error, { prefix: 'dataset', schema, extraKeys: ['name'], keyNoun: `option of dataset "${name}"` }));
    }
    dataset = { name, options: options as Params };
  }

  const maxTrials = limits.maxTrials ?? DEFAULT_MAX_TRIALS;
  const trials = checkGridSize(s, maxTrials);
  // Early stopping stops trials one by one from their progress reports, which packed trials do not send.
  if (s.early_stop) {
    if (typeof s.pack === 'number' && s.pack > 1) throw SpecError.at('pack', `packed trials report no progress, so early_stop cannot stop them: use pack: off (the default with early_stop), or no early_stop`);
    s.pack = 'off';
  }
  const packed = method.packKey && s.pack !== 'off' ? packShardCap(packNumber(s.pack)) : 0;
  checkEncodedSizes(s, dataset?.options ?? {}, s.shard_size ?? (method.prefixKey ? MAX_DEFAULT_SHARD_SIZE : Math.max(packed, defaultShardSize(trials))));

  const grid: Axis[] = Object.entries(s.grid).map(([k, axis]) => [k, axisValues(axis)] as const);
  const issues: { path: string; message: string }[] = [];
  for (const [k] of grid) if (k in s.params) issues.push({ path: `grid.${k}`, message: `also set in params.${k}; a key is either fixed or swept` });
  for (const [k, values] of grid) {
    const seen = new Map<string, number>();
    values.forEach((v, i) => {
      const c = canonicalJson(v);
      const first = seen.get(c);
      if (first !== undefined) issues.push({ path: `grid.${k}[${i}]`, message: `duplicate of grid.${k}[${first}]` });
      else seen.set(c, i);
    });
  }
  const space = Object.entries(s.search?.space ?? {});
  for (const [k, d] of space) {
    if (k in s.params) issues.push({ path: `search.space.${k}`, message: `also set in params.${k}; a key is either fixed or sampled` });
    if (k in s.grid) issues.push({ path: `search.space.${k}`, message: `also in grid.${k}; a key is either swept or sampled` });
    const problem = distributionIssues(d);
    if (problem) issues.push({ path: `search.space.${k}`, message: problem });
  }
  if (s.search?.algorithm !== undefined && grid.length > 0) {
    issues.push({ path: 'grid', message: `an adaptive search (search.algorithm ${s.search.algorithm}) takes no grid: move the swept keys into search.space, or fix them in params` });
  }
  const seedSeen = new Set<number>();
  s.seeds.forEach((seed, i) => {
    if (seedSeen.has(seed)) issues.push({ path: `seeds[${i}]`, message: `duplicate seed ${seed}` });
    seedSeen.add(seed);
  });
  const lodo = s.selection ? selectionIssue(s.selection, method, dataset) : null;
  if (lodo) issues.push({ path: 'selection', message: lodo });
  if (issues.length) throw new SpecError(issues);

  const adaptive: AdaptiveSpec | undefined =
    s.search?.algorithm !== undefined
      ? { algorithm: s.search.algorithm, budget: s.search.budget ?? 1, batch: s.search.batch ?? DEFAULT_SEARCH_BATCH, seed: s.search.seed, space: s.search.space }
      : undefined;
  if (adaptive) {
    // Two proposals never share params: a discrete space must hold `budget` distinct points.
    const levels = new UnitSpace(adaptive.space).discreteLevels();
    const points = levels.every((l) => l !== undefined) ? levels.reduce((n, l) => n * (l?.length ?? 1), 1) : Infinity;
    if (points < adaptive.budget) throw SpecError.at('search.budget', `${adaptive.budget} points wanted, but the space has only ${points} distinct points (lower budget, or widen search.space)`);
  }
  // A spec naming a selection method has stated its protocol (oracle included, labelled where shown); without one, test objectives are warned about.
  const warnings = s.selection ? [] : [selectionNote(s.objectives, undefined)].filter((w): w is string => w !== null);
  const earlyStop = s.early_stop ? resolveEarlyStop(s.early_stop, s, method, warnings) : undefined;
  // A training method reports validation metrics every eval_every steps: set from min_steps unless given.
  if (earlyStop?.evalEvery !== undefined && takesEvalEvery(method) && s.params['eval_every'] === undefined && !gridKeysOf(s).has('eval_every')) {
    s.params = { ...s.params, eval_every: earlyStop.evalEvery };
  }
  const samples = s.search && !adaptive ? drawSamples({ samples: s.search.samples ?? 1, seed: s.search.seed, space: s.search.space }) : [];
  // An adaptive search's points are proposed later: its space is checked at its corners and centre.
  const checked = adaptive ? spaceCorners(adaptive.space) : samples;
  validateMethodParams(method.name, method.params, s.params, grid, checked);
  checkTrialMemory(method, dataset, s.params, grid, checked, limits.maxTrialMemoryMb ?? DEFAULT_MAX_TRIAL_MEMORY_MB);

  return {
    name: s.name,
    method: s.method,
    ...(dataset ? { dataset } : {}),
    params: s.params,
    grid,
    ...(s.search ? { search: s.search } : {}),
    samples,
    ...(adaptive ? { adaptive } : {}),
    seeds: s.seeds,
    objectives: s.objectives,
    ...(s.selection ? { selection: s.selection } : {}),
    ...(earlyStop ? { earlyStop } : {}),
    warnings,
    ...(s.shard_size !== undefined ? { shardSize: s.shard_size } : {}),
    maxAttempts: s.max_attempts,
    pack: packNumber(s.pack),
    trials,
  };
}

/** Keys a spec sweeps or samples. */
function gridKeysOf(s: { grid: Record<string, unknown>; search?: { space: Record<string, unknown> } | undefined }): Set<string> {
  return new Set([...Object.keys(s.grid), ...Object.keys(s.search?.space ?? {})]);
}

/**
 * Checks every value a trial can get against the method's param schema, without expanding the grid:
 * the fixed params once, then each grid value with the other axes at their first value. Errors name
 * `params.KEY` or `grid.KEY[i]`; a key the method does not take is named once (`grid.KEY`), with
 * the nearest parameter it does take.
 */
function validateMethodParams(methodName: string, schema: z.ZodType<Params>, fixed: Params, grid: readonly Axis[], samples: readonly Params[]): void {
  const base: Params = { ...fixed, ...samples[0] };
  for (const [k, values] of grid) base[k] = values[0] as Param;
  const gridKeys = new Set(grid.map(([k]) => k));
  const known = objectKeysAt(schema);
  const issues = new Map<string, string>();
  const sampled = new Set(Object.keys(samples[0] ?? {}));
  const keyPath = (key: string): string => (gridKeys.has(key) ? `grid.${key}` : sampled.has(key) ? `search.space.${key}` : `params.${key}`);
  const check = (params: Params, where: (key: string) => string): void => {
    const r = schema.safeParse(params, { reportInput: true });
    if (r.success) return;
    for (const issue of issueMessages(r.error)) {
      if (issue.unknownKey !== undefined) {
        const path = keyPath(issue.unknownKey);
        if (!issues.has(path)) issues.set(path, unknownNameMessage(issue.unknownKey, known, `parameter of method "${methodName}"`));
        continue;
      }
      const [key, ...rest] = issue.path.split(/(?=[.[])/);
      const path = key ? where(key) + rest.join('') : 'params';
      if (!issues.has(path)) issues.set(path, issue.message);
    }
  };
  const origin = (key: string, sample = 0): string => (gridKeys.has(key) ? `grid.${key}[0]` : sampled.has(key) ? `search.space.${key} (sample ${sample}: ${JSON.stringify(samples[sample]?.[key])})` : `params.${key}`);
  check(base, (key) => origin(key));
  // Every drawn point, the grid at its first values: a distribution reaching outside the method's range is named.
  for (let i = 1; i < samples.length && issues.size === 0; i++) check({ ...base, ...samples[i] }, (key) => origin(key, i));
  for (const [k, values] of grid) {
    for (let i = 1; i < values.length; i++) {
      check({ ...base, [k]: values[i] as Param }, (key) => (key === k ? `grid.${k}[${i}]` : origin(key)));
    }
  }
  if (issues.size) throw new SpecError([...issues].map(([path, message]) => ({ path, message })));
}

/** The lowest, highest and middle point of a space (each key at the same unit coordinate). */
function spaceCorners(space: Readonly<Record<string, Distribution>>): Params[] {
  const u = new UnitSpace(space);
  return [0, 1, 0.5].map((x) => u.decode(new Array<number>(u.dims).fill(x)));
}
