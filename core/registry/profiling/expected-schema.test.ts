import { describe, expect, it } from 'vitest';
import { bindSchema, SchemaMismatch } from './expected-schema.js';

const schema = {
  allowExtra: true,
  columns: [
    { name: 'n', type: 'integer' as const, nullable: false, min: 1 },
    { name: 'ok', type: 'boolean' as const, nullable: true },
    { name: 'x', type: 'number' as const, nullable: true, max: 1.5 },
  ],
};

describe('bindSchema', () => {
  const check = bindSchema(schema, ['x', 'n', 'ok', 'extra']);

  it('accepts matching rows, nulls where allowed and extra columns', () => {
    expect(() => check(['1e-3', '3', 'TRUE', 'anything'], 1)).not.toThrow();
    expect(() => check(['NA', '3', '', ''], 2)).not.toThrow();
  });

  it.each([
    [['0.5', '', 'true', ''], "column n, row 9: '' is empty but the column is not nullable"],
    [['0.5', '2.5', 'true', ''], "column n, row 9: '2.5' is not an integer"],
    [['0.5', '0', 'true', ''], 'column n, row 9: 0 is below the minimum 1'],
    [['0.5', '2', 'yes', ''], "column ok, row 9: 'yes' is not a boolean (true or false)"],
    [['2', '2', 'false', ''], 'column x, row 9: 2 is above the maximum 1.5'],
  ])('names the column and row of %j', (fields, message) => {
    expect(() => check(fields, 9)).toThrow(new SchemaMismatch(message));
  });

  it('names a missing column, and an extra one when extras are not allowed', () => {
    expect(() => bindSchema(schema, ['n', 'ok'])).toThrow('column x is missing (the header has: n, ok)');
    expect(() => bindSchema({ ...schema, allowExtra: false }, ['n', 'ok', 'x', 'y'])).toThrow(
      'column y is not in the expected schema (allowExtra is false)',
    );
  });
});
