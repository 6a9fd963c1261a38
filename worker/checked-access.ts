/** A read past the end of an array: a bug in the code that computed the index. */
export class IndexOutOfRangeError extends RangeError {
  override name = 'IndexOutOfRangeError';
}

/**
 * `arr[i]` for arrays that hold no undefined: the element, or IndexOutOfRangeError naming the index,
 * the length and `what` was read, where a bare `arr[i] as T` would let the mistake through as NaN.
 */
export function at<T>(arr: ArrayLike<T>, i: number, what = 'array'): T {
  const v = arr[i];
  if (v === undefined) throw new IndexOutOfRangeError(`${what}: index ${i} out of range (length ${arr.length})`);
  return v;
}

/** Swaps two elements in place (Fisher–Yates shuffles). */
export function swap<T>(arr: T[], i: number, j: number): void {
  const a = at(arr, i);
  arr[i] = at(arr, j);
  arr[j] = a;
}

/** `map.get(key)` for a key the map must hold: the value, or RangeError naming the key and `what`. */
export function mustGet<K, V>(map: ReadonlyMap<K, V>, key: K, what = 'map'): V {
  const v = map.get(key);
  if (v === undefined) throw new RangeError(`${what}: no entry for ${JSON.stringify(key)}`);
  return v;
}
