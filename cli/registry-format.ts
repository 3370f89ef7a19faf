import { InvalidArgumentError } from 'commander';
import { colors, out } from './output.js';

/** A repeatable option into a list. */
export const collectList = (value: string, acc: string[] = []): string[] => [...acc, value];

/** A positive integer argument (a version number, a depth), else a usage error. */
export function intArg(value: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return Number(value);
}

/** Users write aliases as in URIs (`@champion`); the API wants the bare name. */
export const aliasArg = (value: string): string => value.replace(/^@/, '');

const num = (n: number) => (Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6))));

export const formatMetrics = (m: Record<string, number>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${num(v)}`)
    .join(' ');

export const formatTags = (t: Record<string, string>): string =>
  Object.entries(t)
    .map(([k, v]) => (v ? `${k}:${v}` : k))
    .join(' ');

export const formatNumber = (n: number | undefined): string => (n === undefined ? '' : num(n));

export function listFooter(page: { items: unknown[]; nextCursor: string | null }): void {
  if (page.items.length === 0) out(colors.dim('(none)'));
  if (page.nextCursor) out(colors.dim(`more: --cursor ${page.nextCursor}`));
}
