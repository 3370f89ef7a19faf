import { z } from 'zod';

export {
  runStatusSchema as runStatus, runSummarySchema as runSummary, runViewSchema as runView,
} from '../../core/runs/views.js';

export const startBody = {
  params: z.record(z.string(), z.unknown()).default({}).describe('Pipeline params; strings are coerced to the declared type'),
  version: z.number().int().min(1).optional().describe('Pin a version (default: the latest)'),
  idempotencyKey: z.string().min(1).max(200).optional()
    .describe('Retried requests with the same key start one workflow and return the same run'),
  cache: z.boolean().optional().describe('false: run every step even when a cached result exists'),
};
