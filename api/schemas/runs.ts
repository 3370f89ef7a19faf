import { z } from 'zod';
import { runOutcomeSchema, runStatusSchema } from '../../core/runs/views.js';
import { cursorQuery, pageLimit, pipelineParams, plainText, timeQuery, versionInt } from './common.js';

export {
  runStatusSchema as runStatus,
  runSummarySchema as runSummary,
  runViewSchema as runView,
} from '../../core/runs/views.js';

export const runIdParams = z.strictObject({ id: plainText(200).min(1) });

export const startBody = {
  params: pipelineParams.default({}).describe('Pipeline params; strings are coerced to the declared type'),
  version: versionInt.optional().describe('Pin a version (default: the latest)'),
  idempotencyKey: plainText(200)
    .min(1)
    .optional()
    .describe('Retried requests with the same key start one workflow and return the same run'),
  cache: z.boolean().optional().describe('false: run every step even when a cached result exists'),
};

export const runListQuery = z.strictObject({
  pipeline: plainText(200).optional(),
  status: runStatusSchema.optional(),
  outcome: runOutcomeSchema.optional().describe('what the run decided: promoted, not-promoted or rejected'),
  trigger: plainText(200).optional(),
  since: timeQuery.optional().describe('created at or after'),
  until: timeQuery.optional().describe('created before'),
  cursor: cursorQuery.optional(),
  limit: pageLimit,
});
