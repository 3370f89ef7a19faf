import { z } from 'zod';
import { PIPELINE_NAME, PIPELINE_NAME_HINT } from '../../core/pipeline/index.js';

/** RFC 9457 problem details as every error response carries them (see api/plugins/problems.ts). */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .describe('application/problem+json (RFC 9457); `errors` names each bad field');

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request; `errors` names each bad field',
  401: 'Missing, unknown, expired or revoked API key',
  403: "The key's role is too low",
  404: 'No such resource',
  409: 'Conflicts with the current state',
  413: 'Body larger than the configured limit',
  429: 'Rate limit of this key exceeded',
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
/** Params of a run, as given: the pipeline's declared types are applied when a run starts. */
export const pipelineParams = z.record(z.string(), z.unknown());
export const pipelineName = z.string().regex(PIPELINE_NAME, PIPELINE_NAME_HINT);
/** Page size of every list. */
export const pageLimit = z.coerce.number().int().min(1).max(200).default(50);
export const timeQuery = z.iso
  .datetime({ offset: true, error: 'expected an ISO-8601 time, e.g. 2026-11-26T00:00:00Z' })
  .transform((s) => new Date(s));
