/**
 * Per-feature drift on binned counts, with Evidently's default choice of statistic:
 * - reference ≤ 1000 rows: two-sample KS for numeric columns with more than 5 distinct values,
 *   chi-square for categorical and low-cardinality ones; drift at p ≤ 0.05.
 * - reference > 1000 rows: Wasserstein distance normed by the reference's std (at least 0.001) for
 *   numeric, Jensen–Shannon distance (base 2) for categorical; drift at ≥ 0.1.
 * - the data set drifts when at least `driftShare` (0.5) of the compared features drift.
 * Differences from Evidently, on purpose: the distinct count is the reference's (Evidently counts
 * reference and current together), binary columns use chi-square (Evidently: a z-test of two
 * proportions), and p-value tests drift at p ≤ threshold (Evidently: p < threshold).
 */
import type { CategoricalCounts, NumericCounts, WindowCounts } from './bins.js';
import { DEFAULT_THRESHOLDS, type DriftMethod, type MonitoringConfig, P_VALUE_METHODS } from './config.js';
import type { FeatureReference, NumericReference, Reference } from './reference.js';
import { LOW_CARDINALITY } from './reference.js';
import { chiSquareTest, jensenShannon, ksPValue, psi, wasserstein } from './stats.js';

export const LARGE_REFERENCE = 1000;

export interface FeatureDrift {
  feature: string;
  method: DriftMethod;
  statistic: number;
  /** For ks and chi2; null for distances. */
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  /** Current values compared (missing and invalid ones left out). */
  n: number;
  missing: number;
  invalid: number;
}

export interface DriftReport {
  reference: string;
  rows: number;
  features: FeatureDrift[];
  drifted: number;
  share: number;
  driftShare: number;
  datasetDrift: boolean;
}

export function defaultMethod(f: FeatureReference): DriftMethod {
  const numeric = f.kind === 'numeric' && f.distinct > LOW_CARDINALITY;
  if (f.n <= LARGE_REFERENCE) return numeric ? 'ks' : 'chi2';
  return numeric ? 'wasserstein' : 'jensenshannon';
}

/** Reference and current counts on one axis: numeric under/over fold into the outer bins. */
function categoricalAxis(f: FeatureReference, c: NumericCounts | CategoricalCounts): { ref: number[]; cur: number[] } {
  if (f.kind === 'categorical') {
    const cur = (c as CategoricalCounts).counts;
    return { ref: [...f.counts, f.other], cur: [...cur] };
  }
  const bins = (c as NumericCounts).bins;
  const cur = bins.slice(1, -1);
  cur[0]! += bins[0]!;
  cur[cur.length - 1]! += bins[bins.length - 1]!;
  return { ref: [...f.counts], cur };
}

/** Keys present in either sample, as Evidently's keys (a bin empty on both sides is not a category). */
function presentOnly(ref: number[], cur: number[]): { ref: number[]; cur: number[] } {
  const keep = ref.map((r, i) => r > 0 || cur[i]! > 0);
  return { ref: ref.filter((_, i) => keep[i]), cur: cur.filter((_, i) => keep[i]) };
}

/** KS on the binned CDFs: the largest gap at a bin boundary (a lower bound of the exact statistic). */
export function binnedKs(refCounts: readonly number[], cur: readonly number[]): number {
  const ref = [0, ...refCounts, 0];
  const nr = ref.reduce((s, x) => s + x, 0);
  const nc = cur.reduce((s, x) => s + x, 0);
  let fr = 0;
  let fc = 0;
  let d = 0;
  for (let i = 0; i < ref.length; i++) {
    fr += ref[i]!;
    fc += cur[i]!;
    d = Math.max(d, Math.abs(fr / nr - fc / nc));
  }
  return d;
}

/**
 * Wasserstein on bins: the area between the two CDFs, each taken as linear inside a reference bin
 * (mass spread evenly over the bin); traffic outside the reference's range sits at its mean. Bin
 * midpoints instead put a tail decile's mass far from where it lies (see binned.test.ts).
 */
export function binnedWasserstein(f: NumericReference, c: NumericCounts): number {
  const nr = f.counts.reduce((s, x) => s + x, 0);
  const nc = c.bins.reduce((s, x) => s + x, 0);
  if (nr === 0 || nc === 0) return 0;
  const last = c.bins.length - 1;
  const lo = f.edges[0]!;
  const hi = f.edges[f.edges.length - 1]!;
  // Outside the reference's range only the current CDF moves: its mass at its mean.
  let area = c.bins[0]! ? (c.bins[0]! / nc) * (lo - c.underSum / c.bins[0]!) : 0;
  area += c.bins[last]! ? (c.bins[last]! / nc) * (c.overSum / c.bins[last]! - hi) : 0;
  let fr = 0;
  let fc = c.bins[0]! / nc;
  for (let i = 0; i < f.counts.length; i++) {
    const dA = fr - fc;
    fr += f.counts[i]! / nr;
    fc += c.bins[i + 1]! / nc;
    const dB = fr - fc;
    const width = f.edges[i + 1]! - f.edges[i]!;
    const a = Math.abs(dA);
    const b = Math.abs(dB);
    // |linear| over the bin: a trapezoid, or two triangles when the difference changes sign.
    area += width * (dA * dB >= 0 ? (a + b) / 2 : a + b > 0 ? (a * a + b * b) / (2 * (a + b)) : 0);
  }
  return area / Math.max(f.std, 0.001);
}

/** The midpoint variant, kept to show in binned.test.ts how much worse it is. */
export function midpointWasserstein(f: NumericReference, c: NumericCounts): number {
  const mids = f.edges.slice(0, -1).map((e, i) => (e + f.edges[i + 1]!) / 2);
  const under = c.bins[0]! ? c.underSum / c.bins[0]! : f.edges[0]!;
  const over = c.bins[c.bins.length - 1]! ? c.overSum / c.bins[c.bins.length - 1]! : f.edges[f.edges.length - 1]!;
  const points = [under, ...mids, over];
  return wasserstein(points, points, [0, ...f.counts, 0], c.bins) / Math.max(f.std, 0.001);
}

function measure(method: DriftMethod, f: FeatureReference, c: NumericCounts | CategoricalCounts, n: number) {
  if (method === 'ks' || method === 'wasserstein') {
    if (f.kind !== 'numeric') return undefined;
    const nc = c as NumericCounts;
    if (method === 'wasserstein') return { statistic: binnedWasserstein(f, nc), pValue: null };
    const d = binnedKs(f.counts, nc.bins);
    return { statistic: d, pValue: ksPValue(d, f.n, n) };
  }
  const axis = categoricalAxis(f, c);
  if (method === 'chi2') {
    const { ref, cur } = presentOnly(axis.ref, axis.cur);
    const nr = ref.reduce((s, x) => s + x, 0);
    const r = chiSquareTest(
      cur,
      ref.map((x) => (x * n) / nr),
    );
    return { statistic: r.statistic, pValue: r.pValue };
  }
  if (method === 'jensenshannon') return { statistic: jensenShannon(axis.ref, axis.cur), pValue: null };
  return { statistic: psi(axis.ref, axis.cur), pValue: null };
}

/** Compares summed window counts with the reference, feature by feature, then the data set. */
export function evaluateDrift(ref: Reference, counts: WindowCounts, config: MonitoringConfig): DriftReport {
  const features: FeatureDrift[] = [];
  for (const f of ref.features) {
    const override = config.features[f.name];
    if (override?.enabled === false) continue;
    const c = counts.features[f.name];
    if (!c) continue;
    const missing = c.missing;
    const invalid = 'invalid' in c ? c.invalid : 0;
    const n = counts.rows - missing - invalid;
    // A column the clients never send (the label, say) is not a feature of the traffic.
    if (n <= 0 || f.n === 0) continue;
    let method = override?.method ?? defaultMethod(f);
    if ((method === 'ks' || method === 'wasserstein') && f.kind !== 'numeric') method = defaultMethod(f);
    const m = measure(method, f, c, n)!;
    const threshold = override?.threshold ?? DEFAULT_THRESHOLDS[method];
    const drifted = P_VALUE_METHODS.includes(method) ? m.pValue! <= threshold : m.statistic >= threshold;
    features.push({
      feature: f.name,
      method,
      statistic: m.statistic,
      pValue: m.pValue,
      threshold,
      drifted,
      n,
      missing,
      invalid,
    });
  }
  const drifted = features.filter((f) => f.drifted).length;
  const share = features.length ? drifted / features.length : 0;
  return {
    reference: ref.key,
    rows: counts.rows,
    features,
    drifted,
    share,
    driftShare: config.driftShare,
    datasetDrift: features.length > 0 && share >= config.driftShare,
  };
}
