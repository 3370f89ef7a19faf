/**
 * A streaming CSV reader (RFC 4180: quoted fields with "" escapes, commas and newlines inside quotes,
 * CRLF or LF). Chunks go in, rows come out; memory is bounded by the longest field.
 */
export const MAX_FIELD_CHARS = 1 << 20;

export class CsvError extends Error {
  override name = 'CsvError';
}

const enum S {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

export class CsvReader {
  private state = S.FieldStart;
  private field = '';
  private row: string[] = [];
  /** 1-based line number where the current row started (for error messages). */
  private line = 1;
  private rowLine = 1;

  constructor(private readonly onRow: (fields: string[], line: number) => void) {}

  push(chunk: string): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      switch (this.state) {
        case S.FieldStart:
          if (c === '"') this.state = S.Quoted;
          else if (c === ',') this.endField();
          else if (c === '\n') this.endRow();
          else if (c !== '\r') {
            this.field = c;
            this.state = S.Unquoted;
          }
          break;
        case S.Unquoted: {
          // Copy a run of plain characters at once: the common case, and much faster than per char.
          let j = i;
          while (j < chunk.length && chunk[j] !== ',' && chunk[j] !== '\n' && chunk[j] !== '\r') j++;
          this.field += chunk.slice(i, j);
          i = j - 1;
          if (j < chunk.length) {
            const d = chunk[j]!;
            i = j;
            if (d === ',') this.endField();
            else if (d === '\n') this.endRow();
          }
          break;
        }
        case S.Quoted: {
          const j = chunk.indexOf('"', i);
          const end = j < 0 ? chunk.length : j;
          const part = chunk.slice(i, end);
          for (let k = part.indexOf('\n'); k >= 0; k = part.indexOf('\n', k + 1)) this.line++;
          this.field += part;
          i = end;
          if (j >= 0) this.state = S.QuoteInQuoted;
          break;
        }
        case S.QuoteInQuoted:
          if (c === '"') {
            this.field += '"';
            this.state = S.Quoted;
          } else if (c === ',') this.endField();
          else if (c === '\n') this.endRow();
          else if (c !== '\r') {
            this.field += c;
            this.state = S.Unquoted;
          }
          break;
      }
      if (this.field.length > MAX_FIELD_CHARS) {
        throw new CsvError(
          `line ${this.rowLine}: a field is longer than ${MAX_FIELD_CHARS} characters (an unterminated quote?)`,
        );
      }
    }
  }

  end(): void {
    if (this.state === S.Quoted) throw new CsvError(`line ${this.rowLine}: unterminated quoted field at end of file`);
    if (this.state !== S.FieldStart || this.row.length > 0) this.endRow();
  }

  private endField(): void {
    this.row.push(this.field);
    this.field = '';
    this.state = S.FieldStart;
  }

  private endRow(): void {
    const blank = this.row.length === 0 && this.state === S.FieldStart;
    if (!blank) {
      this.endField();
      this.onRow(this.row, this.rowLine);
    }
    this.row = [];
    this.field = '';
    this.state = S.FieldStart;
    this.line++;
    this.rowLine = this.line;
  }
}
