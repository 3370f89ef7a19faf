/** Per-column summary statistics: the baseline that drift monitoring compares against. */
import type { Frequencies, QuantileBins } from './quantiles.js';

export type ColumnType = 'integer' | 'number' | 'boolean' | 'string' | 'datetime' | 'binary' | 'unknown';

export interface ColumnStats {
  name: string;
  type: ColumnType;
  /** Non-null values. */
  count: number;
  nulls: number;
  /** Distinct non-null values; a lower bound when `distinctCapped`. */
  distinct: number;
  distinctCapped: boolean;
  min?: number;
  max?: number;
  mean?: number;
  /** Sample standard deviation (n - 1), like pandas. */
  std?: number;
  /** Equal-width bins between min and max: `edges` has one more entry than `counts`. */
  histogram?: { edges: number[]; counts: number[] };
  trueCount?: number;
  topValues?: Array<{ value: string; count: number }>;
  minLength?: number;
  maxLength?: number;
  /** Numeric columns profiled by ingest: decile bin edges with counts (the reference for drift). */
  quantiles?: QuantileBins;
  /** String, boolean and low-cardinality integer columns profiled by ingest: value counts, capped. */
  frequencies?: Frequencies;
}

export const NULL_TOKENS = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None']);
export const DISTINCT_CAP = 10_000;
export const TOP_VALUES = 10;
export const HISTOGRAM_BINS = 10;
const INT = /^[+-]?\d+$/;
const NUM = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOL = /^(true|false)$/i;

/** Accumulates one column in one pass (Welford for mean and variance); types are inferred at the end. */
export class ColumnAccumulator {
  count = 0;
  nulls = 0;
  private isInt = true;
  private isNum = true;
  private isBool = true;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private trues = 0;
  private minLen = Infinity;
  private maxLen = 0;
  private readonly values = new Map<string, number>();
  private capped = false;

  constructor(readonly name: string) {}

  add(raw: string): void {
    const s = raw.trim();
    if (NULL_TOKENS.has(s)) {
      this.nulls++;
      return;
    }
    this.count++;
    this.minLen = Math.min(this.minLen, raw.length);
    this.maxLen = Math.max(this.maxLen, raw.length);
    const seen = this.values.get(s);
    if (seen !== undefined) this.values.set(s, seen + 1);
    else if (this.values.size < DISTINCT_CAP) this.values.set(s, 1);
    else this.capped = true;
    if (this.isBool && !BOOL.test(s)) this.isBool = false;
    else if (this.isBool && s.toLowerCase() === 'true') this.trues++;
    if (this.isInt && !INT.test(s)) this.isInt = false;
    if (this.isNum && (this.isInt || NUM.test(s))) {
      const x = Number(s);
      this.n++;
      const d = x - this.mean;
      this.mean += d / this.n;
      this.m2 += d * (x - this.mean);
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
    } else {
      this.isNum = false;
    }
  }

  get type(): ColumnType {
    if (this.count === 0) return 'unknown';
    if (this.isBool) return 'boolean';
    if (this.isInt) return 'integer';
    if (this.isNum) return 'number';
    return 'string';
  }

  /** Histogram bins, when a second pass over the numeric values is worth making. */
  binsFor(): { lo: number; hi: number } | undefined {
    const t = this.type;
    return (t === 'integer' || t === 'number') && this.max > this.min ? { lo: this.min, hi: this.max } : undefined;
  }

  finish(histogram?: { edges: number[]; counts: number[] }): ColumnStats {
    const base = {
      name: this.name,
      type: this.type,
      count: this.count,
      nulls: this.nulls,
      distinct: this.values.size,
      distinctCapped: this.capped,
    };
    const t = this.type;
    if (t === 'integer' || t === 'number') {
      return {
        ...base,
        min: this.min,
        max: this.max,
        mean: this.mean,
        std: this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0,
        ...(histogram ? { histogram } : {}),
      };
    }
    if (t === 'boolean') return { ...base, trueCount: this.trues };
    if (t === 'string') {
      const top = [...this.values]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, TOP_VALUES)
        .map(([value, count]) => ({ value, count }));
      return { ...base, topValues: top, minLength: this.minLen, maxLength: this.maxLen };
    }
    return base;
  }
}

/** Counts values into equal-width bins over [lo, hi]; the top edge is inclusive. */
export class Histogram {
  readonly counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  constructor(
    private readonly lo: number,
    private readonly hi: number,
  ) {}

  add(raw: string): void {
    const s = raw.trim();
    if (NULL_TOKENS.has(s)) return;
    const x = Number(s);
    const i = Math.min(HISTOGRAM_BINS - 1, Math.floor(((x - this.lo) / (this.hi - this.lo)) * HISTOGRAM_BINS));
    this.counts[i]! += 1;
  }

  result(): { edges: number[]; counts: number[] } {
    const w = (this.hi - this.lo) / HISTOGRAM_BINS;
    return {
      edges: Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => (i === HISTOGRAM_BINS ? this.hi : this.lo + i * w)),
      counts: this.counts,
    };
  }
}
