/**
 * The statistics drift checks use, in plain TypeScript (no native or Python dependency). Each
 * matches a scipy function; core/drift/stats.test.ts compares them with numbers scipy printed.
 */

/** Two-sample Kolmogorov–Smirnov statistic: max |F1 − F2| over every observed value (scipy.stats.ks_2samp). */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/**
 * Survival function of the limiting Kolmogorov distribution (scipy.stats.kstwobign.sf): the
 * asymptotic p-value of a two-sample KS statistic d with sizes n, m is kolmogorovSf(d·√(nm/(n+m))).
 * Two series, each fast where the other is slow.
 */
export function kolmogorovSf(x: number): number {
  if (!(x > 0)) return 1;
  if (x < 1.18) {
    // P(K <= x) = √(2π)/x · Σ exp(−(2k−1)²π²/(8x²))
    const w = (Math.PI * Math.PI) / (8 * x * x);
    let s = 0;
    for (let k = 1; k <= 20; k++) s += Math.exp(-(2 * k - 1) * (2 * k - 1) * w);
    return 1 - (Math.sqrt(2 * Math.PI) / x) * s;
  }
  // P(K > x) = 2 Σ (−1)^(k−1) exp(−2k²x²)
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const t = Math.exp(-2 * k * k * x * x);
    s += k % 2 ? t : -t;
    if (t < 1e-17) break;
  }
  return Math.max(0, Math.min(1, 2 * s));
}

/** Asymptotic two-sided p-value of a two-sample KS statistic (sizes n and m). */
export function ksPValue(d: number, n: number, m: number): number {
  if (n === 0 || m === 0) return 1;
  return kolmogorovSf(d * Math.sqrt((n * m) / (n + m)));
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let a = LANCZOS[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a) (series below a + 1, continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const lead = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  // Modified Lentz for the continued fraction of Γ(a, x).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(lead) * h;
}

/** Survival function of the chi-square distribution (scipy.stats.chi2.sf). */
export function chiSquareSf(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

/**
 * Pearson's goodness-of-fit test (scipy.stats.chisquare(f_obs, f_exp)): df = k − 1. An expected
 * count of zero where something was observed makes the statistic infinite and p zero, as in scipy.
 */
export function chiSquareTest(
  observed: readonly number[],
  expected: readonly number[],
): { statistic: number; pValue: number } {
  let stat = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]!;
    const e = expected[i]!;
    if (e === 0) {
      if (o > 0) stat = Infinity;
      continue;
    }
    stat += ((o - e) * (o - e)) / e;
  }
  const df = observed.length - 1;
  if (df < 1) return { statistic: 0, pValue: 1 };
  return { statistic: stat, pValue: chiSquareSf(stat, df) };
}

/**
 * First Wasserstein distance between two weighted samples (scipy.stats.wasserstein_distance with
 * u_weights/v_weights): the integral of |U − V| over the merged support.
 */
export function wasserstein(
  u: readonly number[],
  v: readonly number[],
  uWeights?: readonly number[],
  vWeights?: readonly number[],
): number {
  const points: Array<[number, number, number]> = [];
  const uw = uWeights ?? u.map(() => 1);
  const vw = vWeights ?? v.map(() => 1);
  const su = uw.reduce((s, w) => s + w, 0);
  const sv = vw.reduce((s, w) => s + w, 0);
  if (su === 0 || sv === 0) return 0;
  u.forEach((x, i) => points.push([x, uw[i]! / su, 0]));
  v.forEach((x, i) => points.push([x, 0, vw[i]! / sv]));
  points.sort((a, b) => a[0] - b[0]);
  let cu = 0;
  let cv = 0;
  let dist = 0;
  for (let i = 0; i < points.length - 1; i++) {
    cu += points[i]![1];
    cv += points[i]![2];
    dist += Math.abs(cu - cv) * (points[i + 1]![0] - points[i]![0]);
  }
  return dist;
}

/** Jensen–Shannon distance, base 2 (scipy.spatial.distance.jensenshannon(p, q, base=2)); p and q are normalised. */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const sp = p.reduce((s, x) => s + x, 0);
  const sq = q.reduce((s, x) => s + x, 0);
  if (sp === 0 || sq === 0) return 0;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  return Math.sqrt(Math.max(0, js / 2) / Math.LN2);
}

/**
 * Population stability index with Evidently's zero filling (an empty bin counts as 0.0001 of
 * its sample): Σ (c − r)·ln(c/r) over bin shares.
 */
export function psi(reference: readonly number[], current: readonly number[]): number {
  const sr = reference.reduce((s, x) => s + x, 0);
  const sc = current.reduce((s, x) => s + x, 0);
  if (sr === 0 || sc === 0) return 0;
  let total = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]! / sr || 0.0001;
    const c = current[i]! / sc || 0.0001;
    total += (c - r) * Math.log(c / r);
  }
  return total;
}

/** Population standard deviation (numpy.std, ddof 0). */
export function populationStd(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) * (x - mean), 0) / xs.length);
}
