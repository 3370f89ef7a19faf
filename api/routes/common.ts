import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';

/** RFC 9457 problem details as every error response carries them (see api/problems.ts). */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  requestId: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
}).describe('application/problem+json (RFC 9457); `errors` names each bad field');

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request; `errors` names each bad field', 401: 'Missing, unknown, expired or revoked API key',
  403: 'The key\'s role is too low', 404: 'No such resource', 409: 'Conflicts with the current state',
  413: 'Body larger than the configured limit', 429: 'Rate limit of this key exceeded', 503: 'A dependency is unavailable',
};

/** Documents the error responses of a route; they are served as application/problem+json. */
export function problems(...codes: number[]): Record<number, { description: string; content: Record<string, { schema: typeof problemSchema }> }> {
  return Object.fromEntries([401, 403, ...codes].map((c) => [c, {
    description: DESCRIPTIONS[c] ?? 'Error', content: { 'application/problem+json': { schema: problemSchema } },
  }]));
}

export { isoTime, nullableTime } from '../../core/util/time-schema.js';
export const params = z.record(z.string(), z.unknown());
export const name = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be 1..63 chars of [a-z0-9-], starting with a letter');
export const limit = z.coerce.number().int().min(1).max(200).default(50);
export const timeQuery = z.iso.datetime({ offset: true, error: 'expected an ISO-8601 time, e.g. 2026-11-26T00:00:00Z' })
  .transform((s) => new Date(s));

/** Opaque keyset cursors: base64url JSON, so clients cannot depend on their content. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!check(value)) throw new ValidationError('invalid cursor', [{ path: 'querystring.cursor', message: 'not a cursor returned by this API' }]);
  return value;
}
