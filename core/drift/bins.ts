/**
 * Traffic counted in the reference's bins: what the gateway keeps per deployment version instead
 * of raw rows, and what the monitor sums over its window. Plain JSON, stored in drift_windows.
 */
import type { CategoricalReference, FeatureReference, NumericReference, Reference } from './reference.js';

export interface NumericCounts {
  /** [below the reference's min, each reference bin…, above its max]. */
  bins: number[];
  /** Sums of the values below the min and above the max: their means stand for the outer bins. */
  underSum: number;
  overSum: number;
  /** Rows without the feature (absent, null, empty). */
  missing: number;
  /** Values that are not finite numbers. */
  invalid: number;
}

export interface CategoricalCounts {
  /** One per reference value, then one for values the reference does not list. */
  counts: number[];
  missing: number;
}

export type FeatureCounts = NumericCounts | CategoricalCounts;

export interface WindowCounts {
  rows: number;
  features: Record<string, FeatureCounts>;
}

export const isNumericCounts = (c: FeatureCounts): c is NumericCounts => 'bins' in c;

export function emptyCounts(ref: Reference): WindowCounts {
  const features: Record<string, FeatureCounts> = {};
  for (const f of ref.features) {
    features[f.name] =
      f.kind === 'numeric'
        ? { bins: new Array<number>(f.counts.length + 2).fill(0), underSum: 0, overSum: 0, missing: 0, invalid: 0 }
        : { counts: new Array<number>(f.values.length + 1).fill(0), missing: 0 };
  }
  return { rows: 0, features };
}

const isMissing = (v: unknown) => v === undefined || v === null || v === '';

/** Index in [under, bins…, over] of x; the last reference bin includes the max. */
export function binIndex(edges: readonly number[], x: number): number {
  const last = edges.length - 1;
  if (x < edges[0]!) return 0;
  if (x > edges[last]!) return last + 1;
  let lo = 0;
  let hi = last - 1;
  // The largest i with edges[i] <= x, capped at the last bin.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function countNumeric(f: NumericReference, c: NumericCounts, v: unknown): void {
  if (isMissing(v)) {
    c.missing++;
    return;
  }
  const x = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : NaN;
  if (!Number.isFinite(x)) {
    c.invalid++;
    return;
  }
  const i = binIndex(f.edges, x);
  c.bins[i]!++;
  if (i === 0) c.underSum += x;
  else if (i === c.bins.length - 1) c.overSum += x;
}

function countCategorical(f: CategoricalReference, index: Map<string, number>, c: CategoricalCounts, v: unknown): void {
  if (isMissing(v)) {
    c.missing++;
    return;
  }
  let s = typeof v === 'string' ? v.trim() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (f.lowerCase) s = s.toLowerCase();
  const i = index.get(s);
  c.counts[i ?? f.values.length]!++;
}

/** Counts rows into a window; built once per reference (value look-ups are maps). */
export function rowCounter(ref: Reference): (counts: WindowCounts, row: Record<string, unknown>) => void {
  const indexes = new Map<string, Map<string, number>>();
  for (const f of ref.features) {
    if (f.kind === 'categorical') indexes.set(f.name, new Map(f.values.map((v, i) => [v, i])));
  }
  return (counts, row) => {
    counts.rows++;
    for (const f of ref.features as FeatureReference[]) {
      const c = counts.features[f.name]!;
      const v = row[f.name];
      if (f.kind === 'numeric') countNumeric(f, c as NumericCounts, v);
      else countCategorical(f, indexes.get(f.name)!, c as CategoricalCounts, v);
    }
  };
}

/** Adds `from` into `into` feature by feature; a feature whose shape differs is skipped (another reference). */
export function addCounts(into: WindowCounts, from: WindowCounts): void {
  into.rows += from.rows;
  for (const [name, c] of Object.entries(from.features)) {
    const t = into.features[name];
    if (!t) continue;
    if (isNumericCounts(c) && isNumericCounts(t) && c.bins.length === t.bins.length) {
      c.bins.forEach((x, i) => (t.bins[i]! += x));
      t.underSum += c.underSum;
      t.overSum += c.overSum;
      t.missing += c.missing;
      t.invalid += c.invalid;
    } else if (!isNumericCounts(c) && !isNumericCounts(t) && c.counts.length === t.counts.length) {
      c.counts.forEach((x, i) => (t.counts[i]! += x));
      t.missing += c.missing;
    }
  }
}
