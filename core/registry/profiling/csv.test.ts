import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvReader } from './csv.js';
import { csvStats } from './csv-stats.js';

function parse(text: string, chunkSize = 3): string[][] {
  const rows: string[][] = [];
  const r = new CsvReader((f) => rows.push(f));
  for (let i = 0; i < text.length; i += chunkSize) r.push(text.slice(i, i + chunkSize));
  r.end();
  return rows;
}

const streamOf =
  (text: string, chunk = 7) =>
  async () =>
    Readable.from(
      Array.from({ length: Math.ceil(text.length / chunk) }, (_, i) =>
        Buffer.from(text.slice(i * chunk, (i + 1) * chunk)),
      ),
    );

describe('CsvReader', () => {
  it('parses quoted fields with commas, escaped quotes and newlines, across any chunking, CRLF or LF', () => {
    const text = 'a,b,c\r\n1,"x, y","say ""hi"""\r\n2,"multi\nline",\n\n3,,z';
    const expected = [
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'multi\nline', ''],
      ['3', '', 'z'],
    ];
    for (const size of [1, 2, 3, 5, 1000]) expect(parse(text, size)).toEqual(expected);
  });

  it('reports an unterminated quote with its line', () => {
    expect(() => parse('a,b\n1,"open\n2,3\n')).toThrow(/line 2: unterminated/);
  });
});

describe('csvStats', () => {
  it('counts rows, infers types and computes per-column statistics, streaming', async () => {
    const csv =
      '\uFEFFage,income,churned,city,note\n' +
      '30,1000.5,true,Paris,\n40,2000,false,Lyon,NA\n50,,true,Paris,"a, b"\n60,4000,TRUE,Nice,x\n';
    const s = await csvStats(streamOf(csv));
    expect(s.rowCount).toBe(4);
    expect(s.columns.map((c) => [c.name, c.type])).toEqual([
      ['age', 'integer'],
      ['income', 'number'],
      ['churned', 'boolean'],
      ['city', 'string'],
      ['note', 'string'],
    ]);
    const [age, income, churned, city, note] = s.columns;
    expect(age).toMatchObject({ count: 4, nulls: 0, min: 30, max: 60, mean: 45, distinct: 4 });
    expect(age!.std).toBeCloseTo(12.9099, 3); // sample std, like pandas
    expect(age!.histogram!.counts.reduce((a, b) => a + b)).toBe(4);
    expect(age!.histogram!.edges).toHaveLength(11);
    expect(age!.histogram!.counts[0]).toBe(1);
    expect(age!.histogram!.counts[9]).toBe(1); // the top edge is inclusive
    expect(income).toMatchObject({ count: 3, nulls: 1, min: 1000.5, max: 4000 });
    expect(churned).toMatchObject({ count: 4, trueCount: 3 });
    expect(city).toMatchObject({
      distinct: 3,
      topValues: [
        { value: 'Paris', count: 2 },
        { value: 'Lyon', count: 1 },
        { value: 'Nice', count: 1 },
      ],
    });
    expect(note).toMatchObject({ count: 2, nulls: 2 });
  });

  it('fails clearly on ragged rows, an empty file, and makes header names unique', async () => {
    await expect(csvStats(streamOf('a,b\n1,2\n3\n'))).rejects.toThrow(/line 3 has 1 field\(s\) but the header has 2/);
    await expect(csvStats(streamOf(''))).rejects.toThrow(/empty/);
    const s = await csvStats(streamOf('x,x,\n1,2,3\n'));
    expect(s.columns.map((c) => c.name)).toEqual(['x', 'x.1', 'column_2']);
  });

  it('profiles 200,000 rows streamed in chunks, capping the distinct count', async () => {
    async function* rows() {
      yield Buffer.from('id,score,label\n');
      for (let i = 0; i < 200; i++) {
        yield Buffer.from(
          Array.from(
            { length: 1000 },
            (_, j) => `${i * 1000 + j},${((i * 1000 + j) % 97) / 97},${j % 3 ? 'a' : 'b'}`,
          ).join('\n') + '\n',
        );
      }
    }
    const s = await csvStats(async () => Readable.from(rows()));
    expect(s.rowCount).toBe(200_000);
    expect(s.columns[0]).toMatchObject({
      type: 'integer',
      min: 0,
      max: 199_999,
      distinct: 10_000,
      distinctCapped: true,
    });
    expect(s.columns[1]!.type).toBe('number');
    expect(s.columns[2]).toMatchObject({ type: 'string', distinct: 2 });
  });
});
