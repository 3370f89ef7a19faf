import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';

/**
 * A line longer than this is emitted in pieces, so a step that prints megabytes without a
 * newline cannot grow the worker's memory without bound.
 */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Turns a byte stream into lines: chunks may end mid-line or mid-UTF-8 character.
 * A trailing "\r" is dropped (CRLF output); `end()` emits a last line without "\n".
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) !== -1) {
      this.emit(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
    while (this.pending.length > MAX_LINE_CHARS) {
      this.onLine(this.pending.slice(0, MAX_LINE_CHARS));
      this.pending = this.pending.slice(MAX_LINE_CHARS);
    }
  }

  /** Flushes the decoder and a partial last line. Safe to call more than once. */
  end(): void {
    this.pending += this.decoder.end();
    if (this.pending !== '') this.emit(this.pending);
    this.pending = '';
  }

  private emit(line: string): void {
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}

/** A Writable (for `modem.demuxStream` and pipes) feeding a LineSplitter; flushes on finish. */
export function lineWriter(onLine: (line: string) => void): { stream: Writable; flush: () => void } {
  const splitter = new LineSplitter(onLine);
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      splitter.push(chunk);
      callback();
    },
    final(callback) {
      splitter.end();
      callback();
    },
  });
  return { stream, flush: () => splitter.end() };
}
