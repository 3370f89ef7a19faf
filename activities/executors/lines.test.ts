import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_CHARS, lineWriter } from './lines.js';

function split(chunks: (Buffer | string)[]): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  for (const c of chunks) s.push(c);
  s.end();
  return lines;
}

describe('LineSplitter', () => {
  it('joins lines split across chunks and flushes a trailing partial line', () => {
    expect(split(['a', 'b\nc', 'd\n\ne', 'f'])).toEqual(['ab', 'cd', '', 'ef']);
  });

  it('decodes UTF-8 characters split between chunks', () => {
    const bytes = Buffer.from('héllo ✓ 🐟\nzß\n', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(split(chunks)).toEqual(['héllo ✓ 🐟', 'zß']);
  });

  it('drops the \\r of CRLF and emits nothing for empty input', () => {
    expect(split([Buffer.from('x\r\ny\r\n')])).toEqual(['x', 'y']);
    expect(split([])).toEqual([]);
  });

  it('cuts a line longer than the maximum into pieces', () => {
    const lines = split(['x'.repeat(MAX_LINE_CHARS * 2 + 5), '\n']);
    expect(lines.map((l) => l.length)).toEqual([MAX_LINE_CHARS, MAX_LINE_CHARS, 5]);
  });

  it('end() is idempotent', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('tail');
    s.end();
    s.end();
    expect(lines).toEqual(['tail']);
  });
});

describe('lineWriter', () => {
  it('splits what is written and flushes on end()', async () => {
    const lines: string[] = [];
    const w = lineWriter((l) => lines.push(l));
    w.stream.write(Buffer.from('one\ntw'));
    w.stream.write(Buffer.from('o\nthree'));
    await new Promise<void>((resolve) => w.stream.end(resolve));
    expect(lines).toEqual(['one', 'two', 'three']);
  });
});
