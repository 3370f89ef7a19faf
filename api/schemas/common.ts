import { z } from 'zod';
import { PIPELINE_NAME, PIPELINE_NAME_HINT } from '../../core/pipeline/index.js';
import { findNul, NO_CONTROL, NO_CONTROL_HINT, NO_NUL, NO_NUL_HINT } from '../../core/util/text.js';

/** RFC 9457 problem details as every error response carries them (see api/plugins/problems.ts). */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string(),
    errors: z
      .array(
        z.object({
          path: z.string(),
          message: z.string(),
          rule: z.string().optional().describe('the step policy rule a step breaks (type …/policy-violation)'),
        }),
      )
      .optional(),
  })
  .describe('application/problem+json (RFC 9457); `errors` names each bad field');

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request; `errors` names each bad field',
  401: 'Missing, unknown, expired or revoked API key',
  403: "The key's role is too low",
  404: 'No such resource',
  409: 'Conflicts with the current state',
  413: 'Body larger than the configured limit',
  414: 'A path parameter longer than the router accepts',
  415: 'A body of a content type this route does not read',
  429: 'Rate limit of this key exceeded',
  431: 'Request line and headers larger than the server accepts',
  503: 'A dependency is unavailable',
};

/** Documents the error responses of a route; they are served as application/problem+json. */
export function problems(
  ...codes: number[]
): Record<number, { description: string; content: Record<string, { schema: typeof problemSchema }> }> {
  return Object.fromEntries(
    [401, 403, ...codes].map((c) => [
      c,
      {
        description: DESCRIPTIONS[c] ?? 'Error',
        content: { 'application/problem+json': { schema: problemSchema } },
      },
    ]),
  );
}

export { isoTime, nullableTime } from '../../core/util/time-schema.js';

/** The largest value of an `integer` (int4) column: versions and counters are bounded by it. */
export const INT4_MAX = 2_147_483_647;
/** A name, id or filter the API takes (path, query or body): bounded, no control characters. */
export const plainText = (max: number) => z.string().max(max).regex(NO_CONTROL, NO_CONTROL_HINT);
/** Free text (descriptions, notes): line breaks allowed, NUL (which PostgreSQL cannot store) not. */
export const freeText = (max: number) => z.string().max(max).regex(NO_NUL, NO_NUL_HINT);
/** Any JSON stored as jsonb: no NUL in any key or string, at any depth. */
export function noNulInside(v: unknown, ctx: z.RefinementCtx): void {
  const path = findNul(v);
  if (path) ctx.addIssue({ code: 'custom', path, message: NO_NUL_HINT });
}
/** A version number in a body (an int4 column). */
export const versionInt = z.number().int().min(1, 'versions start at 1').max(INT4_MAX);
/** A version number in a path or query string. */
export const versionParam = z.coerce.number().int().min(1, 'versions start at 1').max(INT4_MAX);
/** Opaque page cursors are base64url. */
export const cursorQuery = z
  .string()
  .max(2048)
  .regex(/^[A-Za-z0-9_-]*$/, 'not a cursor returned by this API')
  .describe('nextCursor of the previous page');

/** Params of a run, as given: the pipeline's declared types are applied when a run starts. */
export const pipelineParams = z.record(plainText(128), z.unknown()).superRefine(noNulInside);
export const pipelineName = z.string().regex(PIPELINE_NAME, PIPELINE_NAME_HINT);
/**
 * JSON Schema for "exactly one of these fields": the document states what a refinement enforces,
 * so a client that follows it is never refused for it.
 */
export const exactlyOneOf = (...keys: string[]) => ({ oneOf: keys.map((k) => ({ required: [k] })) });
/** A boolean flag in a query string: `true` or `false`, nothing else, so the document can list them. */
export const queryFlag = z
  .enum(['true', 'false'])
  .default('false')
  .transform((v) => v === 'true');
/** Page size of every list. */
export const pageLimit = z.coerce.number().int().min(1).max(200).default(50);
export const timeQuery = z.iso
  .datetime({ offset: true, error: 'expected an ISO-8601 time, e.g. 2026-11-26T00:00:00Z' })
  .transform((s) => new Date(s));
