import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { type ColumnStats, ColumnAccumulator, Histogram } from './column-stats.js';
import { CsvError, CsvReader } from './csv.js';

export interface DatasetStats {
  rowCount: number;
  columns: ColumnStats[];
}

export const MAX_COLUMNS = 2_000;

async function readCsv(body: Readable, onRow: (fields: string[], line: number) => void): Promise<void> {
  const reader = new CsvReader(onRow);
  const decoder = new StringDecoder('utf8');
  let first = true;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    let text = decoder.write(chunk);
    if (first && text.length) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    reader.push(text);
  }
  reader.push(decoder.end());
  reader.end();
}

/** Header names as pandas would make them unique: empty → column_<i>, repeats → name.1, name.2. */
export function uniqueNames(header: string[]): string[] {
  const seen = new Map<string, number>();
  return header.map((raw, i) => {
    const base = raw.trim() || `column_${i}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}.${n}`;
  });
}

/**
 * Row count, column types and per-column statistics of a CSV with a header row, streamed: one pass
 * for counts, types and moments, a second (only when a numeric column has a range) for histograms.
 * `open` is called once per pass and must give the same bytes (callers verify the sha256).
 */
export async function csvStats(open: () => Promise<Readable>): Promise<DatasetStats> {
  let names: string[] | undefined;
  let acc: ColumnAccumulator[] = [];
  let rows = 0;
  const checkWidth = (fields: string[], line: number) => {
    if (fields.length !== names!.length) {
      throw new CsvError(`line ${line} has ${fields.length} field(s) but the header has ${names!.length}`);
    }
  };
  await readCsv(await open(), (fields, line) => {
    if (!names) {
      if (fields.length > MAX_COLUMNS)
        throw new CsvError(`the header has ${fields.length} columns; at most ${MAX_COLUMNS} are profiled`);
      names = uniqueNames(fields);
      acc = names.map((n) => new ColumnAccumulator(n));
      return;
    }
    checkWidth(fields, line);
    rows++;
    for (let i = 0; i < fields.length; i++) acc[i]!.add(fields[i]!);
  });
  if (!names) throw new CsvError('the file is empty: a CSV dataset needs a header row');

  const hist = acc.map((a) => {
    const b = a.binsFor();
    return b ? new Histogram(b.lo, b.hi) : undefined;
  });
  if (hist.some(Boolean)) {
    let header = true;
    await readCsv(await open(), (fields, line) => {
      if (header) {
        header = false;
        return;
      }
      checkWidth(fields, line);
      for (let i = 0; i < fields.length; i++) hist[i]?.add(fields[i]!);
    });
  }
  return { rowCount: rows, columns: acc.map((a, i) => a.finish(hist[i]?.result())) };
}
