import type { Param, Params } from '../../proto/index.js';
import type { GridAxis } from './schema.js';
import { fieldBytes, paramValueBytes } from './limits.js';

/** One grid key with the list of values it takes, in spec order. */
export type Axis = readonly [key: string, values: readonly Param[]];

/**
 * Number of values of an axis, without expanding it: a list's length, a `{product}`'s product of
 * its component lengths, a `{linspace}`'s count. May exceed 2^53 only as an inexact number or
 * Infinity, never by materialising anything.
 */
export function axisLength(axis: GridAxis): number {
  if (Array.isArray(axis)) return axis.length;
  if ('product' in axis) return axis.product.reduce((n, component) => n * component.length, 1);
  return axis.linspace[2];
}

/**
 * Encoded bytes of an axis's values as a `ParamList` once expanded, computed without expanding it:
 * a `{product}` vector holds one value of each component, and each value of component i appears
 * in (product / length of i) vectors. Call it only once axisLength is known to be bounded.
 */
export function axisBytes(axis: GridAxis): number {
  if (Array.isArray(axis)) return axis.reduce<number>((n, v) => n + fieldBytes(paramValueBytes(v)), 0);
  if ('linspace' in axis) return axis.linspace[2] * fieldBytes(paramValueBytes(0));
  const vectors = axisLength(axis);
  let valuesBytes = 0;
  let largestVector = 0;
  for (const component of axis.product) {
    const sizes = component.map((v) => fieldBytes(paramValueBytes(v)));
    valuesBytes += (vectors / component.length) * sizes.reduce((a, b) => a + b, 0);
    largestVector += Math.max(...sizes);
  }
  // Each vector is an entry of the axis's list holding a ParamValue whose `list` field holds its
  // values: two length-delimited wrappers (counted for the largest vector, an upper bound).
  return valuesBytes + vectors * (fieldBytes(fieldBytes(largestVector)) - largestVector);
}

/** Materialises the `{product}` and `{linspace}` forms of a grid axis into a plain list. */
export function axisValues(axis: GridAxis): Param[] {
  if (Array.isArray(axis)) return axis;
  if ('product' in axis) {
    let vectors: Param[][] = [[]];
    for (const component of axis.product) {
      const next: Param[][] = [];
      for (const prefix of vectors) for (const v of component) next.push([...prefix, v]);
      vectors = next;
    }
    return vectors;
  }
  const [start, stop, num] = axis.linspace;
  if (num === 1) return [start];
  // Round to 12 significant digits so 0.1 steps read as 0.1, not 0.30000000000000004.
  return Array.from({ length: num }, (_, i) => Number((start + ((stop - start) * i) / (num - 1)).toPrecision(12)));
}

/** Number of points of the cross product, without expanding it (may exceed 2^53 only as Infinity). */
export function gridPoints(axes: readonly Axis[]): number {
  return axes.reduce((n, [, values]) => n * values.length, 1);
}

/**
 * Cross product of the axes, the last axis varying fastest; `fixed` params are merged into every
 * point (grid keys never overlap fixed keys: the spec validator rejects that).
 */
export function* expandGrid(axes: readonly Axis[], fixed: Params = {}): Generator<Params> {
  const n = axes.length;
  const idx = new Array<number>(n).fill(0);
  if (axes.some(([, values]) => values.length === 0)) return;
  for (;;) {
    const point: Params = { ...fixed };
    for (let i = 0; i < n; i++) {
      const [key, values] = axes[i]!;
      point[key] = values[idx[i]!]!;
    }
    yield point;
    let k = n - 1;
    while (k >= 0) {
      idx[k]! += 1;
      if (idx[k]! < axes[k]![1].length) break;
      idx[k] = 0;
      k--;
    }
    if (k < 0) return;
  }
}
