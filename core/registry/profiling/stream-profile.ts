/**
 * Profiles a CSV in one pass as its bytes stream by: today's per-column statistics plus what drift
 * detection needs (decile bins per numeric column, capped value frequencies per categorical one),
 * and, optionally, an expected schema checked row by row.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ExpectedSchema } from '../../pipeline/kinds/ingest.js';
import { ColumnAccumulator, HISTOGRAM_BINS, NULL_TOKENS, type ColumnStats } from './column-stats.js';
import { CsvError, CsvReader } from './csv.js';
import { MAX_COLUMNS, uniqueNames, type DatasetStats } from './csv-stats.js';
import { bindSchema } from './expected-schema.js';
import { FrequencyCounter, QuantileSketch } from './quantiles.js';

interface Column {
  acc: ColumnAccumulator;
  sketch: QuantileSketch;
  freq: FrequencyCounter;
}

export class StreamProfiler {
  private readonly reader: CsvReader;
  private readonly decoder = new StringDecoder('utf8');
  private first = true;
  private names: string[] | undefined;
  private columns: Column[] = [];
  private check: ((fields: string[], row: number) => void) | undefined;
  rows = 0;

  constructor(private readonly schema?: ExpectedSchema) {
    this.reader = new CsvReader((fields, line) => this.onRow(fields, line));
  }

  push(chunk: Buffer): void {
    let text = this.decoder.write(chunk);
    if (this.first && text.length) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    this.reader.push(text);
  }

  end(): DatasetStats {
    this.reader.push(this.decoder.end());
    this.reader.end();
    if (!this.names) throw new CsvError('the file is empty: a CSV dataset needs a header row');
    return { rowCount: this.rows, columns: this.columns.map(finish) };
  }

  private onRow(fields: string[], line: number): void {
    if (!this.names) {
      if (fields.length > MAX_COLUMNS) {
        throw new CsvError(`the header has ${fields.length} columns; at most ${MAX_COLUMNS} are profiled`);
      }
      this.names = uniqueNames(fields);
      this.columns = this.names.map((n) => ({
        acc: new ColumnAccumulator(n),
        sketch: new QuantileSketch(),
        freq: new FrequencyCounter(),
      }));
      if (this.schema) this.check = bindSchema(this.schema, this.names);
      return;
    }
    if (fields.length !== this.names.length) {
      throw new CsvError(`line ${line} has ${fields.length} field(s) but the header has ${this.names.length}`);
    }
    this.rows++;
    this.check?.(fields, this.rows);
    for (let i = 0; i < fields.length; i++) {
      const raw = fields[i]!;
      const col = this.columns[i]!;
      col.acc.add(raw);
      const s = raw.trim();
      if (NULL_TOKENS.has(s)) continue;
      col.freq.add(s);
      const x = Number(s);
      if (Number.isFinite(x)) col.sketch.add(x);
    }
  }
}

function finish(col: Column): ColumnStats {
  const base = col.acc.finish();
  if (base.type === 'integer' || base.type === 'number') {
    const { min, max } = base as Required<Pick<ColumnStats, 'min' | 'max'>>;
    const histogram = col.sketch.histogram(min, max, HISTOGRAM_BINS);
    const quantiles = col.sketch.bins(min, max);
    // Few distinct integers (a class label) drift as categories, not as ranges.
    const categorical = base.type === 'integer' && !col.freq.capped;
    return {
      ...base,
      ...(histogram ? { histogram } : {}),
      ...(quantiles ? { quantiles } : {}),
      ...(categorical ? { frequencies: col.freq.result() } : {}),
    };
  }
  if (base.type === 'string' || base.type === 'boolean') return { ...base, frequencies: col.freq.result() };
  return base;
}
