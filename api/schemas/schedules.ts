import { z } from 'zod';
import { exactlyOneOf, freeText, pipelineName, pipelineParams, plainText, versionInt } from './common.js';

export { scheduleViewSchema as schedule } from '../../core/schedules/view.js';

/** Schedule names follow the pipeline-name rule. */
export const scheduleName = pipelineName;
export const byScheduleName = z.strictObject({ name: scheduleName });
// Fastify hands a missing body over as null.
export const noteBody = z.strictObject({ note: freeText(500).optional() }).nullish();

export const scheduleBody = z
  .strictObject({
    name: scheduleName,
    pipeline: pipelineName,
    version: versionInt.optional().describe('Pin a version (default: the latest, pinned now)'),
    params: pipelineParams.default({}),
    cron: plainText(200)
      .min(1)
      .optional()
      .describe('Five-field cron (minute hour day month weekday) or @daily, @hourly…'),
    every: plainText(100).min(1).optional().describe('An interval such as 30m or 6h (instead of cron)'),
    timezone: plainText(100).optional().describe('IANA time zone for cron (default UTC)'),
    paused: z.boolean().optional(),
    note: freeText(500).optional(),
  })
  .meta(exactlyOneOf('cron', 'every'));
