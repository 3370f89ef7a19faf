/** Checks CSV rows against an ingest step's expected schema; the first mismatch names the column and row. */
import type { ExpectedColumn, ExpectedSchema } from '../../pipeline/kinds/ingest.js';
import { NULL_TOKENS } from './column-stats.js';

export class SchemaMismatch extends Error {
  override name = 'SchemaMismatch';
}

const INT = /^[+-]?\d+$/;
const NUM = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOL = /^(true|false)$/i;
const NOUN = { integer: 'an integer', number: 'a number', boolean: 'a boolean (true or false)', string: 'a string' };

/** Binds the expected columns to header positions; throws SchemaMismatch for a missing or unexpected column. */
export function bindSchema(schema: ExpectedSchema, header: string[]): (fields: string[], row: number) => void {
  const bound: Array<[number, ExpectedColumn]> = schema.columns.map((c) => {
    const at = header.indexOf(c.name);
    if (at < 0) throw new SchemaMismatch(`column ${c.name} is missing (the header has: ${header.join(', ')})`);
    return [at, c];
  });
  if (!schema.allowExtra) {
    const extra = header.find((h) => !schema.columns.some((c) => c.name === h));
    if (extra !== undefined)
      throw new SchemaMismatch(`column ${extra} is not in the expected schema (allowExtra is false)`);
  }
  return (fields, row) => {
    for (const [at, c] of bound) {
      const problem = checkValue(c, fields[at]!);
      if (problem) throw new SchemaMismatch(`column ${c.name}, row ${row}: ${problem}`);
    }
  };
}

function checkValue(c: ExpectedColumn, raw: string): string | undefined {
  const s = raw.trim();
  if (NULL_TOKENS.has(s)) return c.nullable ? undefined : `${quote(raw)} is empty but the column is not nullable`;
  const ok =
    c.type === 'string' ||
    (c.type === 'boolean' && BOOL.test(s)) ||
    (c.type === 'integer' && INT.test(s)) ||
    (c.type === 'number' && NUM.test(s));
  if (!ok) return `${quote(raw)} is not ${NOUN[c.type]}`;
  if (c.type === 'integer' || c.type === 'number') {
    const x = Number(s);
    if (c.min !== undefined && x < c.min) return `${s} is below the minimum ${c.min}`;
    if (c.max !== undefined && x > c.max) return `${s} is above the maximum ${c.max}`;
  }
  return undefined;
}

const quote = (raw: string) => `'${raw.length > 80 ? `${raw.slice(0, 80)}…` : raw}'`;
