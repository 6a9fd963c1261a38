/**
 * Optimal affine steering (Sharma et al. 2025, seeds/optimal-steering-exact-fairness.md) for
 * Gaussian group distributions, in float64 on the CPU (feature dimensions are small).
 *
 * Each group g of the sensitive attribute gets a Gaussian N(μ_g, Σ_g) fitted to its rows. The ideal
 * distribution is one Gaussian Q = N(μ*, Σ*) shared by every group: features then carry no group
 * information, so any classifier on them has exactly group-independent decisions (demographic
 * parity). The KL-nearest such Q — minimising Σ_g π_g·KL(N(μ_g, Σ_g) ‖ Q), π_g the group shares —
 * matches the moments of the group mixture: μ* = Σ π_g μ_g, Σ* = Σ π_g (Σ_g + (μ_g − μ*)(μ_g − μ*)ᵀ).
 * Group g is moved there by the affine optimal-transport map between Gaussians,
 * T_g(x) = μ* + A_g (x − μ_g) with A_g = Σ_g^{-1/2} (Σ_g^{1/2} Σ* Σ_g^{1/2})^{1/2} Σ_g^{-1/2}
 * (symmetric, so A_g Σ_g A_g = Σ*), and steered with strength t: x ↦ x + t·(T_g(x) − x).
 */
export interface GroupMap {
  mean: Float64Array;
  /** A_g, d × d row-major. */
  a: Float64Array;
}

export interface SteeringMaps {
  dim: number;
  target: Float64Array;
  groups: Map<string, GroupMap>;
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: values and column vectors. */
export function symmetricEigen(m: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(m);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += (a[p * d + q] as number) ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = ((a[q * d + q] as number) - (a[p * d + p] as number)) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p] as number;
          const akq = a[k * d + q] as number;
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k] as number;
          const aqk = a[q * d + k] as number;
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p] as number;
          const vkq = v[k * d + q] as number;
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: d }, (_, i) => a[i * d + i] as number), vectors: v };
}

/** f(M) = V f(Λ) Vᵀ for a symmetric matrix (eigenvalues clamped at `floor`). */
function matrixFunction(m: Float64Array, d: number, f: (x: number) => number, floor: number): Float64Array {
  const { values, vectors } = symmetricEigen(m, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const fk = f(Math.max(values[k] as number, floor));
    for (let i = 0; i < d; i++) {
      const vik = (vectors[i * d + k] as number) * fk;
      if (vik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] = (out[i * d + j] as number) + vik * (vectors[j * d + k] as number);
    }
  }
  return out;
}

function matMul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) {
    const aik = a[i * d + k] as number;
    if (aik === 0) continue;
    for (let j = 0; j < d; j++) out[i * d + j] = (out[i * d + j] as number) + aik * (b[k * d + j] as number);
  }
  return out;
}

/** Mean and (population) covariance of the rows `idx` of an n × d matrix. */
export function moments(x: Float32Array, d: number, idx: readonly number[]): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (const r of idx) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (x[r * d + j] as number) / idx.length;
  const cov = new Float64Array(d * d);
  for (const r of idx) {
    for (let i = 0; i < d; i++) {
      const di = (x[r * d + i] as number) - (mean[i] as number);
      for (let j = i; j < d; j++) cov[i * d + j] = (cov[i * d + j] as number) + (di * ((x[r * d + j] as number) - (mean[j] as number))) / idx.length;
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) cov[i * d + j] = cov[j * d + i] as number;
  return { mean, cov };
}

/** Fits the group Gaussians, the KL-nearest common Gaussian and each group's transport map. */
export function fitSteering(x: Float32Array, d: number, groupOf: readonly string[], ridge = 1e-6): SteeringMaps {
  const idxs = new Map<string, number[]>();
  groupOf.forEach((g, i) => (idxs.get(g) ?? idxs.set(g, []).get(g)!).push(i));
  const n = groupOf.length;
  const fitted = [...idxs].map(([g, idx]) => ({ g, pi: idx.length / n, ...moments(x, d, idx) }));
  const target = new Float64Array(d);
  for (const f of fitted) for (let j = 0; j < d; j++) target[j] = (target[j] as number) + f.pi * (f.mean[j] as number);
  const sigma = new Float64Array(d * d);
  for (const f of fitted) {
    for (let i = 0; i < d; i++) {
      const mi = (f.mean[i] as number) - (target[i] as number);
      for (let j = 0; j < d; j++) sigma[i * d + j] = (sigma[i * d + j] as number) + f.pi * ((f.cov[i * d + j] as number) + mi * ((f.mean[j] as number) - (target[j] as number)));
    }
  }
  const trace = Array.from({ length: d }, (_, i) => sigma[i * d + i] as number).reduce((s, v) => s + v, 0);
  const floor = Math.max(1e-12, (ridge * trace) / Math.max(1, d));
  const groups = new Map<string, GroupMap>();
  for (const f of fitted) {
    const half = matrixFunction(f.cov, d, Math.sqrt, floor);
    const invHalf = matrixFunction(f.cov, d, (v) => 1 / Math.sqrt(v), floor);
    const inner = matrixFunction(matMul(matMul(half, sigma, d), half, d), d, Math.sqrt, floor * floor);
    groups.set(f.g, { mean: f.mean, a: matMul(matMul(invHalf, inner, d), invHalf, d) });
  }
  return { dim: d, target, groups };
}

/** x ↦ x + t·(T_g(x) − x) for every row; rows of groups not seen in fitting are left as they are. */
export function steer(maps: SteeringMaps, x: Float32Array, groupOf: readonly string[], t: number): Float32Array {
  const d = maps.dim;
  const out = Float32Array.from(x);
  if (t === 0) return out;
  const centred = new Float64Array(d);
  groupOf.forEach((g, r) => {
    const m = maps.groups.get(g);
    if (!m) return;
    for (let j = 0; j < d; j++) centred[j] = (x[r * d + j] as number) - (m.mean[j] as number);
    for (let i = 0; i < d; i++) {
      let ti = maps.target[i] as number;
      for (let j = 0; j < d; j++) ti += (m.a[i * d + j] as number) * (centred[j] as number);
      const xi = x[r * d + i] as number;
      out[r * d + i] = xi + t * (ti - xi);
    }
  });
  return out;
}
