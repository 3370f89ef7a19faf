import { describe, expect, it } from 'vitest';
import { isPredictBody, MAX_PREDICT_ROWS, predictBody } from '../api/schemas/predict.js';

// The predict route accepts a body through isPredictBody without asking zod: the two must agree on
// every input, or the fast path would let through what the contract refuses (or refuse nothing
// zod accepts, which is harmless but slow). Bodies as JSON.parse makes them, like the route sees.
const row = { alcohol: 13.2, hue: 1.05 };
const bodies: [string, string][] = [
  ['one row', JSON.stringify({ rows: [row] })],
  ['many rows', JSON.stringify({ rows: Array.from({ length: 3 }, () => row) })],
  ['the most rows', JSON.stringify({ rows: Array.from({ length: MAX_PREDICT_ROWS }, () => ({})) })],
  ['one row too many', JSON.stringify({ rows: Array.from({ length: MAX_PREDICT_ROWS + 1 }, () => ({})) })],
  ['an empty row', JSON.stringify({ rows: [{}] })],
  ['any values', JSON.stringify({ rows: [{ a: null, b: [1, { c: 'x' }], d: 'text', e: true, '': 0 }] })],
  ['a 200-character feature', JSON.stringify({ rows: [{ ['f'.repeat(200)]: 1 }] })],
  ['a 201-character feature', JSON.stringify({ rows: [{ ['f'.repeat(201)]: 1 }] })],
  // JSON Schema counts characters as code points: 200 emoji (400 UTF-16 units) is 200 characters.
  ['200 astral characters', JSON.stringify({ rows: [{ ['\u{1F600}'.repeat(200)]: 1 }] })],
  ['201 astral characters', JSON.stringify({ rows: [{ ['\u{1F600}'.repeat(201)]: 1 }] })],
  ['a numeric feature name', JSON.stringify({ rows: [{ 1: 2, '07': 3 }] })],
  ['NUL in a feature and a value', JSON.stringify({ rows: [{ 'a\u0000b': '\u0000' }] })],
  ['no rows', JSON.stringify({ rows: [] })],
  ['rows not an array', JSON.stringify({ rows: { a: 1 } })],
  ['a row that is an array', JSON.stringify({ rows: [[1, 2]] })],
  ['a row that is null', JSON.stringify({ rows: [null] })],
  ['a row that is a number', JSON.stringify({ rows: [5] })],
  ['a row that is a string', JSON.stringify({ rows: ['a'] })],
  ['an unknown field', JSON.stringify({ rows: [row], extra: 1 })],
  ['an unknown field first', JSON.stringify({ extra: 1, rows: [row] })],
  ['no rows field', JSON.stringify({})],
  ['rows null', JSON.stringify({ rows: null })],
  ['a body that is an array', JSON.stringify([row])],
  ['a body that is null', 'null'],
  ['a body that is a string', '"rows"'],
  ['a body that is a number', '1'],
];

describe("the predict route's fast validation", () => {
  it.each(bodies)('agrees with predictBody on %s', (_what, json) => {
    const body: unknown = JSON.parse(json);
    const zod = predictBody.safeParse(body);
    expect(isPredictBody(body)).toBe(zod.success);
    // What the route then uses is what zod would have given it.
    if (zod.success) expect(body).toEqual(zod.data);
  });

  it('counts a feature name in characters (code points), as the OpenAPI document says', () => {
    expect(predictBody.safeParse({ rows: [{ ['\u{1F600}'.repeat(200)]: 1 }] }).success).toBe(true);
    expect(predictBody.safeParse({ rows: [{ ['\u{1F600}'.repeat(201)]: 1 }] }).success).toBe(false);
  });

  it('leaves rows that JSON cannot make (class instances, no prototype) to zod', () => {
    for (const r of [new Date(0), new Map(), Object.create(null) as object])
      expect(isPredictBody({ rows: [r] })).toBe(false);
  });
});
