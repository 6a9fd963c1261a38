/**
 * Hypervolume of a set of points, every objective minimised: the measure of the region dominated by
 * at least one point and bounded by `reference` (points not strictly better than the reference in
 * every objective add nothing). Exact: a sweep in 2-D (O(n log n)), slices along the last objective
 * above that (O(n² log n) in 3-D), which is ample for the few hundred points of a search.
 */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const d = reference.length;
  const inside = points.filter((p) => p.length === d && p.every((v, i) => Number.isFinite(v) && v < (reference[i] as number)));
  return hv(inside, reference, d);
}

function hv(points: readonly (readonly number[])[], ref: readonly number[], d: number): number {
  if (points.length === 0) return 0;
  if (d === 1) return (ref[0] as number) - Math.min(...points.map((p) => p[0] as number));
  if (d === 2) {
    const s = [...points].sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
    let area = 0;
    let bestY = ref[1] as number;
    for (const p of s) {
      const y = p[1] as number;
      if (y < bestY) {
        area += ((ref[0] as number) - (p[0] as number)) * (bestY - y);
        bestY = y;
      }
    }
    return area;
  }
  // Slice along the last objective: between consecutive values z_i < z_{i+1}, the dominated
  // cross-section is the (d-1)-volume of the points with last value ≤ z_i.
  const last = d - 1;
  const s = [...points].sort((a, b) => (a[last] as number) - (b[last] as number));
  let vol = 0;
  for (let i = 0; i < s.length; i++) {
    const z = s[i]?.[last] as number;
    const next = i + 1 < s.length ? (s[i + 1]?.[last] as number) : (ref[last] as number);
    if (next <= z) continue;
    vol += hv(s.slice(0, i + 1), ref, last) * (next - z);
  }
  return vol;
}

/**
 * Each point's exclusive contribution: the hypervolume lost when it alone is removed (0 for a
 * dominated or duplicated point).
 */
export function hypervolumeContributions(points: readonly (readonly number[])[], reference: readonly number[]): number[] {
  const total = hypervolume(points, reference);
  return points.map((_, i) => Math.max(0, total - hypervolume(points.filter((__, j) => j !== i), reference)));
}
