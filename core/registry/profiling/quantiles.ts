/**
 * Quantile bin edges for drift detection, in one streaming pass. A deterministic compactor sketch
 * (the MRL/KLL family): level h holds values of weight 2^h; a full level is sorted and every other
 * value (alternating offsets) moves up a level. Memory: at most SKETCH_K values per level, so about
 * SKETCH_K × (1 + log2(n / SKETCH_K)) doubles per column (≈ 45 KB at a million rows). Exact while a
 * column has fewer than SKETCH_K values; beyond that a rank is off by at most ≈ log2(n/K)/K of n
 * (worst case; ≈ 2 % at a million rows, far less in practice). Chosen over an exact second pass so
 * ingest reads its source once, whatever its size.
 */
export const SKETCH_K = 512;
/** Deciles: 10 bins, 11 edges (min, the 9 inner deciles, max). */
export const QUANTILE_BINS = 10;

export interface QuantileBins {
  /** Ascending, deduplicated (a column with few distinct values has fewer bins); first = min, last = max. */
  edges: number[];
  /** Values in [edges[i], edges[i+1]); the last bin includes the max. Estimated beyond SKETCH_K values. */
  counts: number[];
  exact: boolean;
}

export class QuantileSketch {
  private readonly levels: number[][] = [[]];
  private readonly flip: boolean[] = [false];
  n = 0;

  add(x: number): void {
    this.n++;
    this.levels[0]!.push(x);
    if (this.levels[0]!.length >= SKETCH_K) this.compact(0);
  }

  private compact(h: number): void {
    const buf = this.levels[h]!.sort((a, b) => a - b);
    const offset = this.flip[h] ? 1 : 0;
    this.flip[h] = !this.flip[h];
    if (this.levels.length === h + 1) {
      this.levels.push([]);
      this.flip.push(false);
    }
    const up = this.levels[h + 1]!;
    for (let i = offset; i < buf.length; i += 2) up.push(buf[i]!);
    this.levels[h] = [];
    if (up.length >= SKETCH_K) this.compact(h + 1);
  }

  /** Values with their weights, ascending. */
  private weighted(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.levels.forEach((l, h) => l.forEach((x) => out.push([x, 2 ** h])));
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** Decile edges (plus the exact min and max) with the weight of each bin. */
  bins(min: number, max: number): QuantileBins | undefined {
    if (this.n === 0) return undefined;
    const items = this.weighted();
    const total = items.reduce((s, [, w]) => s + w, 0);
    const inner: number[] = [];
    let cum = 0;
    let i = 0;
    for (let q = 1; q < QUANTILE_BINS; q++) {
      // The first value past rank q·n opens the next bin, so equal ranks give equal counts.
      const target = (q / QUANTILE_BINS) * total;
      while (i < items.length - 1 && cum + items[i]![1] <= target) cum += items[i++]![1];
      inner.push(items[i]![0]);
    }
    const edges = [...new Set([min, ...inner, max])].sort((a, b) => a - b);
    if (edges.length === 1) edges.push(max);
    return { edges, counts: binCounts(items, edges), exact: this.levels.length === 1 };
  }

  /** Equal-width bins between min and max, as today's histogram, from the same sketch. */
  histogram(min: number, max: number, bins: number): { edges: number[]; counts: number[] } | undefined {
    if (this.n === 0 || !(max > min)) return undefined;
    const w = (max - min) / bins;
    const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * w));
    return { edges, counts: binCounts(this.weighted(), edges) };
  }
}

function binCounts(items: Array<[number, number]>, edges: number[]): number[] {
  const last = edges.length - 2;
  const counts = new Array<number>(Math.max(1, edges.length - 1)).fill(0);
  let b = 0;
  for (const [x, w] of items) {
    while (b < last && x >= edges[b + 1]!) b++;
    counts[b]! += w;
  }
  return counts;
}

/** Value frequencies of a categorical column, capped: values first seen after the cap count as `otherCount`. */
export const FREQUENCY_CAP = 100;

export interface Frequencies {
  values: Array<{ value: string; count: number }>;
  otherCount: number;
  capped: boolean;
}

export class FrequencyCounter {
  private readonly counts = new Map<string, number>();
  private other = 0;

  add(value: string): void {
    const seen = this.counts.get(value);
    if (seen !== undefined) this.counts.set(value, seen + 1);
    else if (this.counts.size < FREQUENCY_CAP) this.counts.set(value, 1);
    else this.other++;
  }

  get capped(): boolean {
    return this.other > 0;
  }

  result(): Frequencies {
    const values = [...this.counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([value, count]) => ({ value, count }));
    return { values, otherCount: this.other, capped: this.other > 0 };
  }
}
