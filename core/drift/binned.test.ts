import { describe, expect, it } from 'vitest';
import { StreamProfiler } from '../registry/profiling/stream-profile.js';
import { emptyCounts, rowCounter, isNumericCounts } from './bins.js';
import { MonitoringSchema } from './config.js';
import { binnedKs, evaluateDrift, midpointWasserstein } from './evaluate.js';
import { referenceFromStats, type NumericReference } from './reference.js';
import { ksPValue, ksStatistic, populationStd, wasserstein } from './stats.js';

// Binned statistics (what the monitor can compute from the gateway's counts) against the exact
// ones on the raw rows. The reference is profiled by ingest's own profiler.

function rng(seed: number) {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return { u, normal };
}

interface Row {
  x: number;
  y: number;
  color: string;
}

function rows(n: number, seed: number, shift = { x: 0, y: 0, blue: 0.2 }): Row[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const p = r.u();
    return {
      x: r.normal() + shift.x,
      y: 5 + 2 * r.normal() + shift.y,
      color: p < shift.blue ? 'blue' : p < 0.6 ? 'red' : 'green',
    };
  });
}

function profile(data: Row[]) {
  const p = new StreamProfiler();
  p.push(Buffer.from(`x,y,color\n${data.map((d) => `${d.x},${d.y},${d.color}`).join('\n')}\n`));
  return referenceFromStats('test/1', p.end());
}

function count(ref: ReturnType<typeof profile>, data: Row[]) {
  const counts = emptyCounts(ref);
  const add = rowCounter(ref);
  for (const d of data) add(counts, d as unknown as Record<string, unknown>);
  return counts;
}

const config = MonitoringSchema.parse({});

describe('binned statistics against the exact ones on raw rows', () => {
  it('KS on decile bins stays within one bin of the exact statistic and gives the same verdicts', () => {
    const refRows = rows(800, 1);
    const ref = profile(refRows);
    const x = ref.features.find((f) => f.name === 'x') as NumericReference;
    expect(x.kind).toBe('numeric');
    const lines: string[] = [];
    for (const [label, cur] of [
      ['same distribution', rows(400, 2)],
      ['x + 0.3 std', rows(400, 3, { x: 0.3, y: 0, blue: 0.2 })],
      ['x + 1 std', rows(400, 4, { x: 1, y: 0, blue: 0.2 })],
    ] as const) {
      const counts = count(ref, cur);
      const c = counts.features.x!;
      if (!isNumericCounts(c)) throw new Error('x is numeric');
      const exact = ksStatistic(
        refRows.map((r) => r.x),
        cur.map((r) => r.x),
      );
      const binned = binnedKs(x.counts, c.bins);
      // Inside one bin both CDFs only rise, so the exact gap exceeds the boundary gaps by at most
      // the larger of the two samples' mass in that bin.
      const widest = Math.max(...x.counts.map((k) => k / x.n), ...c.bins.map((k) => k / cur.length));
      expect(binned).toBeLessThanOrEqual(exact + 1e-12);
      expect(exact - binned).toBeLessThanOrEqual(widest + 1e-12);
      const pExact = ksPValue(exact, 800, 400);
      const pBinned = ksPValue(binned, 800, 400);
      if (label !== 'x + 0.3 std') expect(pBinned <= 0.05).toBe(pExact <= 0.05);
      lines.push(
        `${label}: KS exact ${exact.toFixed(4)} (p ${pExact.toExponential(2)}), binned ${binned.toFixed(4)} (p ${pBinned.toExponential(2)})`,
      );
    }
    console.log(lines.join('\n'));
  });

  it('the data set verdict: unshifted traffic does not drift, shifted traffic does', () => {
    const ref = profile(rows(800, 5));
    const calm = evaluateDrift(ref, count(ref, rows(300, 6)), config);
    expect(calm.features.map((f) => [f.feature, f.method])).toEqual([
      ['x', 'ks'],
      ['y', 'ks'],
      ['color', 'chi2'],
    ]);
    expect(calm.datasetDrift).toBe(false);
    const shifted = evaluateDrift(ref, count(ref, rows(300, 7, { x: 1, y: 2, blue: 0.5 })), config);
    expect(shifted.features.every((f) => f.drifted)).toBe(true);
    expect(shifted.datasetDrift).toBe(true);
    // One feature of three drifting is below the default share of a half; a third is enough when configured.
    const oneOfThree = count(ref, rows(300, 8, { x: 1.5, y: 0, blue: 0.2 }));
    expect(evaluateDrift(ref, oneOfThree, config).datasetDrift).toBe(false);
    const lowShare = MonitoringSchema.parse({ driftShare: 0.3 });
    expect(evaluateDrift(ref, oneOfThree, lowShare).datasetDrift).toBe(true);
  });

  it('large references use normed Wasserstein and Jensen–Shannon; binned Wasserstein is close to the exact one', () => {
    const refRows = rows(5000, 9);
    const ref = profile(refRows);
    const lines: string[] = [];
    for (const [label, shift, drifts] of [
      ['same distribution', 0, false],
      ['x + 0.25 std', 0.25, true],
      ['x + 1 std', 1, true],
    ] as const) {
      const cur = rows(1000, 10, { x: shift, y: 0, blue: 0.2 });
      const report = evaluateDrift(ref, count(ref, cur), config);
      const x = report.features.find((f) => f.feature === 'x')!;
      expect(x.method).toBe('wasserstein');
      expect(report.features.find((f) => f.feature === 'color')!.method).toBe('jensenshannon');
      const xs = refRows.map((r) => r.x);
      const exact =
        wasserstein(
          xs,
          cur.map((r) => r.x),
        ) / populationStd(xs);
      const c = count(ref, cur).features.x!;
      if (!isNumericCounts(c)) throw new Error('x is numeric');
      const midpoints = midpointWasserstein(ref.features.find((f) => f.name === 'x') as NumericReference, c);
      // Linear CDFs inside a bin spread a wide tail decile's mass evenly: for a shifted normal the binned
      // distance comes out about a quarter higher than the exact one (on the side of drifting).
      expect(Math.abs(x.statistic - exact)).toBeLessThanOrEqual(0.03 + 0.3 * exact);
      expect(x.drifted).toBe(drifts);
      lines.push(
        `${label}: Wasserstein/std exact ${exact.toFixed(4)}, binned ${x.statistic.toFixed(4)} (bin midpoints: ${midpoints.toFixed(4)})`,
      );
    }
    console.log(lines.join('\n'));
  });

  it('counts missing and non-numeric values apart and out-of-range values in the outer bins', () => {
    const ref = profile(rows(200, 11));
    const counts = emptyCounts(ref);
    const add = rowCounter(ref);
    add(counts, { x: 1e9, y: 'abc', color: 'purple' });
    add(counts, { x: -1e9, color: null });
    add(counts, { x: '0.1', y: 5 });
    const x = counts.features.x!;
    const y = counts.features.y!;
    if (!isNumericCounts(x) || !isNumericCounts(y) || isNumericCounts(counts.features.color!)) throw new Error('shape');
    expect(x.bins[0]).toBe(1);
    expect(x.bins[x.bins.length - 1]).toBe(1);
    expect(x.underSum).toBe(-1e9);
    expect(x.bins.reduce((s, k) => s + k, 0)).toBe(3);
    expect([y.invalid, y.missing]).toEqual([1, 1]);
    const color = counts.features.color as { counts: number[]; missing: number };
    expect(color.counts[color.counts.length - 1]).toBe(1);
    expect(color.missing).toBe(2);
  });
});
