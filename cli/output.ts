import pc from 'picocolors';
import { ApiError } from './client.js';

/** Colours only on a terminal, and never with NO_COLOR set. */
export const colors = pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);

export const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
export const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
export const printJson = (value: unknown): void => out(JSON.stringify(value, null, 2));

const STATUS_COLOURS: Record<string, (s: string) => string> = {
  succeeded: colors.green,
  cached: colors.cyan,
  running: colors.blue,
  pending: colors.dim,
  skipped: colors.dim,
  failed: colors.red,
  cancelled: colors.yellow,
  timed_out: colors.red,
  terminated: colors.red,
};
export const status = (s: string): string => (STATUS_COLOURS[s] ?? ((x: string) => x))(s);

/** Left-aligned columns; the header is bold; `paint` colours a column's cells (after measuring them). */
export function table(header: string[], rows: string[][], paint: Record<number, (cell: string) => string> = {}): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], bold: boolean) =>
    cells
      .map((c, i) => {
        const pad = i === cells.length - 1 ? '' : ' '.repeat(widths[i]! - c.length);
        return `${bold ? colors.bold(c) : (paint[i]?.(c) ?? c)}${pad}`;
      })
      .join('  ')
      .trimEnd();
  out(line(header, true));
  for (const r of rows) out(line(r, false));
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

export const ago = (iso: string | null): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

/** Problems print as `error: <detail>` plus one line per bad field; never a stack trace. */
export function printError(e: unknown): void {
  if (e instanceof ApiError) {
    err(`${colors.red('error:')} ${e.message}`);
    for (const i of e.problem.errors ?? []) err(`  ${colors.bold(i.path)}: ${i.message}`);
    return;
  }
  err(`${colors.red('error:')} ${e instanceof Error ? e.message : String(e)}`);
}
