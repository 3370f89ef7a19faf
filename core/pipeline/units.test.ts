import { describe, expect, it } from 'vitest';
import { parseDuration, parseMemory, parseMemoryBytes } from './units.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    [90, 90_000],
    ['90', 90_000],
    [0.5, 500],
  ] as const)('%s -> %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['', '10x', 'm', '-5s', '5 s', '0s'])('rejects %j', (input) => {
    expect(() => parseDuration(input)).toThrow(/invalid duration/);
  });
  it('rejects non-positive numbers', () => expect(() => parseDuration(0)).toThrow(/invalid duration/));
});

describe('parseMemory', () => {
  it.each([
    ['512Mi', 512],
    ['2Gi', 2048],
    ['1024Ki', 1],
    [1048576, 1],
    ['1048576', 1],
    ['1M', 1e6 / 2 ** 20],
  ] as const)('%s -> %d MiB', (input, mib) => expect(parseMemory(input)).toBeCloseTo(mib, 9));

  it.each(['', '512MB', 'lots', '-1Mi', '0'])('rejects %j', (input) => {
    expect(() => parseMemory(input)).toThrow(/invalid memory/);
  });
});

describe('parseMemoryBytes', () => {
  it.each([
    ['256Mi', 256 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['300M', 300e6],
    ['1.5K', 1500],
    ['0.5', 1],
    [4096, 4096],
  ] as const)('%s -> %d bytes', (input, bytes) => expect(parseMemoryBytes(input)).toBe(bytes));

  it.each(['256 Mi', '1GB', 'x', '-5', '0Ki'])('rejects %j', (input) => {
    expect(() => parseMemoryBytes(input)).toThrow(/invalid memory .*512Mi/);
  });
});
