import { z } from 'zod';
import { runStatusSchema } from '../../core/runs/views.js';
import { pageLimit, pipelineParams, timeQuery } from './common.js';

export {
  runStatusSchema as runStatus,
  runSummarySchema as runSummary,
  runViewSchema as runView,
} from '../../core/runs/views.js';

export const runIdParams = z.strictObject({ id: z.string().min(1).max(200) });

export const startBody = {
  params: pipelineParams.default({}).describe('Pipeline params; strings are coerced to the declared type'),
  version: z.number().int().min(1).optional().describe('Pin a version (default: the latest)'),
  idempotencyKey: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Retried requests with the same key start one workflow and return the same run'),
  cache: z.boolean().optional().describe('false: run every step even when a cached result exists'),
};

export const runListQuery = z.strictObject({
  pipeline: z.string().optional(),
  status: runStatusSchema.optional(),
  trigger: z.string().optional(),
  since: timeQuery.optional().describe('created at or after'),
  until: timeQuery.optional().describe('created before'),
  cursor: z.string().optional().describe('nextCursor of the previous page'),
  limit: pageLimit,
});
