import { describe, expect, it } from 'vitest';
import {
  chiSquareSf,
  chiSquareTest,
  jensenShannon,
  kolmogorovSf,
  ksPValue,
  ksStatistic,
  populationStd,
  wasserstein,
} from './stats.js';

// Expected numbers printed by scipy 1.17.1 / numpy (python3 -m venv; pip install scipy numpy), with
//   a = np.array([((k * 7919) % 1000) / 100 for k in range(1, 301)])
//   b = np.array([((k * 104729) % 1000) / 100 + 1.5 for k in range(1, 201)])
//   c = np.array([((k * 104729) % 1000) / 100 for k in range(1, 201)])
const a = Array.from({ length: 300 }, (_, i) => (((i + 1) * 7919) % 1000) / 100);
const b = Array.from({ length: 200 }, (_, i) => (((i + 1) * 104729) % 1000) / 100 + 1.5);
const c = Array.from({ length: 200 }, (_, i) => (((i + 1) * 104729) % 1000) / 100);

describe('drift statistics against scipy', () => {
  it('two-sample KS statistic (stats.ks_2samp(a, b).statistic)', () => {
    expect(ksStatistic(a, b)).toBeCloseTo(0.155, 12);
    expect(ksStatistic(a, c)).toBeCloseTo(0.011666666666666667, 12);
  });

  it('limiting Kolmogorov survival (stats.kstwobign.sf(x)) on both sides of the series switch', () => {
    const expected: Array<[number, number]> = [
      [0.3, 0.9999906941986655],
      [0.5, 0.9639452436648751],
      [0.8, 0.5441424115741981],
      [1.0, 0.26999967167735456],
      [1.17, 0.12939004218561884],
      [1.19, 0.11774229287977166],
      [1.36, 0.049485876755377876],
      [2.0, 0.0006709252557796953],
      [3.0, 3.045995948942526e-8],
    ];
    for (const [x, p] of expected) expect(Math.abs(kolmogorovSf(x) - p)).toBeLessThan(1e-12 + p * 1e-10);
  });

  it('asymptotic KS p-value: stats.kstwobign.sf(np.sqrt(300*200/500) * 0.155)', () => {
    expect(ksPValue(ksStatistic(a, b), 300, 200)).toBeCloseTo(0.006264522878671076, 13);
    // scipy's own ks_2samp p-values for the same samples: 0.005532 (method='asymp', the finite-n
    // kstwo distribution) and 0.005756 (default, exact): the limiting distribution is within 0.001.
    expect(Math.abs(ksPValue(0.155, 300, 200) - 0.005531864248211573)).toBeLessThan(0.001);
    expect(ksPValue(ksStatistic(a, c), 300, 200)).toBeCloseTo(1.0, 12);
  });

  it('chi-square survival (stats.chi2.sf(x, df))', () => {
    const expected: Array<[number, number, number]> = [
      [0.5, 1, 0.47950012218695337],
      [3.84, 1, 0.05004352124870519],
      [10.0, 4, 0.04042768199451279],
      [25.0, 9, 0.002971180485917624],
      [100.0, 30, 1.8568023365102314e-9],
      [2.0, 7, 0.9598403687301016],
      [300.0, 200, 5.924540335483916e-6],
      [0.01, 2, 0.9950124791926823],
    ];
    for (const [x, df, p] of expected) expect(Math.abs(chiSquareSf(x, df) - p) / p).toBeLessThan(1e-10);
  });

  it("Pearson's test: stats.chisquare([30,14,34,45,57,20], [20,20,30,40,60,30])", () => {
    const r = chiSquareTest([30, 14, 34, 45, 57, 20], [20, 20, 30, 40, 60, 30]);
    expect(r.statistic).toBeCloseTo(11.441666666666666, 12);
    expect(r.pValue).toBeCloseTo(0.04329313031580497, 14);
    expect(chiSquareTest([5, 1], [6, 0])).toEqual({ statistic: Infinity, pValue: 0 });
  });

  it('Wasserstein distance (stats.wasserstein_distance) and np.std', () => {
    expect(wasserstein(a, b)).toBeCloseTo(1.4666666666666668, 12);
    expect(populationStd(a)).toBeCloseTo(2.890250373622019, 12);
    // stats.wasserstein_distance([0.5, 1.5, 3.0], [1.0, 2.0, 4.5], [3, 1, 2], [1, 5, 2])
    expect(wasserstein([0.5, 1.5, 3.0], [1.0, 2.0, 4.5], [3, 1, 2], [1, 5, 2])).toBeCloseTo(1.1666666666666665, 12);
  });

  it('Jensen–Shannon distance (distance.jensenshannon(p, q, base=2))', () => {
    expect(jensenShannon([10, 20, 30, 40], [40, 30, 20, 10])).toBeCloseTo(0.3918681606471551, 12);
    expect(jensenShannon([1, 0, 3], [0, 2, 2])).toBeCloseTo(0.6270214338169248, 12);
  });
});
