import type { Param, Params } from '../../proto/index.js';
import { SpecError } from '../errors.js';
import { axisBytes, axisLength } from './grid.js';
import { SHARD_OVERHEAD_BYTES, SPEC_LIMITS, TRIAL_OVERHEAD_BYTES, bytesText, checkParamValue, entryBytes, fieldBytes, paramValueBytes } from './limits.js';
import type { Distribution, GridAxis, ParsedSpec } from './schema.js';

/**
 * The size checks of a schema-valid spec, all made before its grid is expanded or its samples
 * drawn: param values (depth, list length), grid axes and values, trials, and the encoded size of
 * what is stored (the sweep record) and published (each shard). Each error names the path and the limit.
 */

/** A count as a message says it: exact while it is an exact integer. */
function countText(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  return Number.isFinite(n) ? `about ${n.toExponential(2)}` : 'more than 1e308';
}

/** Every param value of the spec within SPEC_LIMITS.paramDepth and listLength, named by path. */
export function checkParamValues(s: ParsedSpec): void {
  for (const [k, v] of Object.entries(s.params)) checkParamValue(v, `params.${k}`);
  for (const [k, v] of Object.entries(s.dataset ?? {})) if (k !== 'name') checkParamValue(v, `dataset.${k}`);
  for (const [k, axis] of Object.entries(s.grid)) {
    if (Array.isArray(axis)) axis.forEach((v, i) => checkParamValue(v, `grid.${k}[${i}]`));
    else if ('product' in axis) {
      // A vector is a list: its components count as its elements, and it adds one level.
      if (axis.product.length > SPEC_LIMITS.listLength) throw SpecError.at(`grid.${k}.product`, `${axis.product.length} component lists, more than the limit of ${SPEC_LIMITS.listLength}`);
      axis.product.forEach((component, j) => component.forEach((v, i) => checkParamValue(v, `grid.${k}.product[${j}][${i}]`, SPEC_LIMITS.paramDepth - 1)));
    }
  }
  for (const [k, d] of Object.entries(s.search?.space ?? {})) {
    if ('choice' in d) d.choice.forEach((v, i) => checkParamValue(v, `search.space.${k}.choice[${i}]`, SPEC_LIMITS.paramDepth - (d.repeat === undefined ? 0 : 1)));
  }
}

/**
 * The number of trials, from the axes' lengths (nothing expanded): every axis and all of them
 * together within SPEC_LIMITS.gridValues, at most SPEC_LIMITS.gridAxes axes, and the trials within
 * `maxTrials`.
 */
export function checkGridSize(s: ParsedSpec, maxTrials: number): number {
  const axes = Object.entries(s.grid);
  if (axes.length > SPEC_LIMITS.gridAxes) throw SpecError.at('grid', `${axes.length} axes, more than the limit of ${SPEC_LIMITS.gridAxes}`);
  const limit = SPEC_LIMITS.gridValues;
  let total = 0;
  for (const [k, axis] of axes) {
    const n = axisLength(axis);
    total += n;
    if (n > limit) throw SpecError.at(`grid.${k}`, `${describeAxis(axis, n)}, more than the limit of ${limit} grid values`);
    if (total > limit) throw SpecError.at(`grid.${k}`, `${describeAxis(axis, n)}, ${countText(total)} with the axes before it, more than the limit of ${limit} values over all grid axes`);
  }
  const samples = s.search?.samples ?? 1;
  const points = axes.reduce((p, [, axis]) => p * axisLength(axis), 1);
  const trials = points * samples * s.seeds.length;
  if (trials > maxTrials) {
    const factors = [...axes.map(([k, axis]) => `${k}: ${axisLength(axis)}`), ...(s.search ? [`${s.search.samples} samples`] : [])];
    throw SpecError.at(s.search && axes.length === 0 ? 'search.samples' : 'grid', `${countText(trials)} trials (${factors.join(' × ') || '1 point'} × ${s.seeds.length} seeds) exceeds this coordinator's limit of ${maxTrials}`);
  }
  return trials;
}

function describeAxis(axis: GridAxis, n: number): string {
  if (Array.isArray(axis)) return `${n} values`;
  if ('linspace' in axis) return `{linspace} of ${n} values`;
  const lengths = axis.product.map((c) => c.length);
  return `{product} of ${lengths.length} lists (${lengths.join(' × ')}) is ${countText(n)} vectors`;
}

/** Encoded bytes of one draw of a distribution, the largest it can be. */
function drawBytes(d: Distribution): number {
  const one = 'choice' in d ? Math.max(...d.choice.map(paramValueBytes)) : paramValueBytes(0);
  if (d.repeat === undefined) return one;
  return fieldBytes(d.repeat * fieldBytes(one));
}

const MAP_ENTRY = (key: string, valueBytes: number): number => fieldBytes(fieldBytes(Buffer.byteLength(key, 'utf8')) + fieldBytes(valueBytes));

/**
 * What a sweep stores and publishes, within NATS's message size (see SPEC_LIMITS): its values
 * (params, dataset options, expanded grid, search choices, seeds) within valueBytes, one trial's
 * params within trialParamsBytes, and one shard of `shardSize` trials within shardBytes. Each error
 * names the largest part.
 */
export function checkEncodedSizes(s: ParsedSpec, datasetOptions: Params, shardSize: number): void {
  const stored: [string, number][] = [];
  const perTrial: [string, number][] = [];
  for (const [k, v] of Object.entries(s.params)) {
    stored.push([`params.${k}`, entryBytes(k, v)]);
    perTrial.push([`params.${k}`, entryBytes(k, v)]);
  }
  let datasetBytes = 0;
  for (const [k, v] of Object.entries(datasetOptions)) {
    stored.push([`dataset.${k}`, entryBytes(k, v)]);
    datasetBytes += entryBytes(k, v);
  }
  for (const [k, axis] of Object.entries(s.grid)) {
    stored.push([`grid.${k}`, MAP_ENTRY(k, fieldBytes(axisBytes(axis)))]);
    perTrial.push([`grid.${k}`, MAP_ENTRY(k, largestAxisValue(axis))]);
  }
  for (const [k, d] of Object.entries(s.search?.space ?? {})) {
    stored.push([`search.space.${k}`, 'choice' in d ? MAP_ENTRY(k, d.choice.reduce<number>((n, v) => n + fieldBytes(paramValueBytes(v)), 0)) : MAP_ENTRY(k, 32)]);
    perTrial.push([`search.space.${k}`, MAP_ENTRY(k, drawBytes(d))]);
  }
  stored.push(['seeds', s.seeds.length * 6]);
  refuseOver(stored, SPEC_LIMITS.valueBytes, 'the params, dataset options, expanded grid, search space and seeds encode to');
  const trialBytes = refuseOver(perTrial, SPEC_LIMITS.trialParamsBytes, "one trial's params encode to up to");
  const fixed = datasetBytes + SHARD_OVERHEAD_BYTES;
  const shard = fixed + shardSize * (trialBytes + TRIAL_OVERHEAD_BYTES);
  if (shard > SPEC_LIMITS.shardBytes) {
    const fits = Math.max(1, Math.floor((SPEC_LIMITS.shardBytes - fixed) / (trialBytes + TRIAL_OVERHEAD_BYTES)));
    throw SpecError.at('shard_size', `${s.shard_size === undefined ? 'the default shard size ' : ''}${shardSize} trials of up to ${trialBytes + TRIAL_OVERHEAD_BYTES} bytes each make a shard of ${shard} bytes, more than the limit of ${bytesText(SPEC_LIMITS.shardBytes)}; set shard_size to at most ${fits}`);
  }
}

function largestAxisValue(axis: GridAxis): number {
  if (Array.isArray(axis)) return Math.max(...axis.map(paramValueBytes));
  if ('linspace' in axis) return paramValueBytes(0);
  const vector: Param[] = [];
  for (const component of axis.product) {
    let largest = component[0] as Param;
    for (const v of component) if (paramValueBytes(v) > paramValueBytes(largest)) largest = v;
    vector.push(largest);
  }
  return paramValueBytes(vector);
}

/** The sum of the parts, or a SpecError naming the largest part when the sum is over `limit`. */
function refuseOver(parts: readonly [string, number][], limit: number, what: string): number {
  const total = parts.reduce((n, [, b]) => n + b, 0);
  if (total <= limit) return total;
  const [path, bytes] = parts.reduce((a, b) => (b[1] > a[1] ? b : a));
  throw SpecError.at(path, `${what} ${total} bytes, more than the limit of ${bytesText(limit)} (${path} is ${bytes} of them)`);
}
