import { describe, expect, it } from 'vitest';
import { FREQUENCY_CAP, FrequencyCounter, QuantileSketch, SKETCH_K } from './quantiles.js';

describe('QuantileSketch', () => {
  it('is exact below its capacity: deciles with equal counts', () => {
    const s = new QuantileSketch();
    for (let i = 100; i >= 1; i--) s.add(i);
    const bins = s.bins(1, 100)!;
    expect(bins).toMatchObject({ exact: true, edges: [1, 11, 21, 31, 41, 51, 61, 71, 81, 91, 100] });
    expect(bins.counts).toEqual(new Array(10).fill(10));
    expect(s.histogram(1, 100, 10)!.counts.reduce((a, b) => a + b)).toBe(100);
  });

  it('keeps the total and stays close beyond its capacity, in bounded memory', () => {
    const s = new QuantileSketch();
    const n = 200_000;
    // A deterministic shuffle of 0..n-1.
    for (let i = 0; i < n; i++) s.add((i * 7919) % n);
    const bins = s.bins(0, n - 1)!;
    expect(bins.exact).toBe(false);
    expect(bins.counts.reduce((a, b) => a + b)).toBe(n);
    bins.edges.slice(1, -1).forEach((e, k) => expect(Math.abs(e - ((k + 1) * n) / 10)).toBeLessThan(n * 0.02));
    const held = (s as unknown as { levels: number[][] }).levels.reduce((a, l) => a + l.length, 0);
    expect(held).toBeLessThan(SKETCH_K * Math.ceil(1 + Math.log2(n / SKETCH_K)));
  });

  it('collapses duplicate edges of a column with few values', () => {
    const s = new QuantileSketch();
    for (let i = 0; i < 30; i++) s.add(i % 3);
    expect(s.bins(0, 2)).toMatchObject({ edges: [0, 1, 2], counts: [10, 20] });
    const one = new QuantileSketch();
    one.add(5);
    expect(one.bins(5, 5)).toMatchObject({ edges: [5, 5], counts: [1] });
  });
});

describe('FrequencyCounter', () => {
  it('counts values up to its cap and the rest as other', () => {
    const f = new FrequencyCounter();
    for (let i = 0; i < FREQUENCY_CAP + 5; i++) f.add(`v${i}`);
    f.add('v0');
    const r = f.result();
    expect(r).toMatchObject({ otherCount: 5, capped: true });
    expect(r.values[0]).toEqual({ value: 'v0', count: 2 });
    expect(r.values).toHaveLength(FREQUENCY_CAP);
  });
});
