// The schedule shape the API answers and the CLI reads, defined once.
import { z } from 'zod';
import { isoTime } from '../util/time-schema.js';

export const scheduleViewSchema = z.object({
  name: z.string(),
  scheduleId: z.string().describe('The Temporal Schedule id (visible in the Temporal UI)'),
  pipeline: z.string(),
  version: z.number().int().describe('The pipeline version every fire runs (pinned when the schedule was created)'),
  params: z.record(z.string(), z.unknown()),
  cron: z.string().optional(),
  every: z.string().optional(),
  timezone: z.string().optional(),
  paused: z.boolean(),
  note: z.string().nullable(),
  createdBy: z.string().nullable(),
  nextRunTimes: z.array(isoTime),
  recentRuns: z.array(
    z.object({
      workflowId: z.string(),
      scheduledAt: isoTime,
      runId: z.string().nullable(),
      status: z.string().nullable(),
    }),
  ),
});
export type ScheduleView = z.infer<typeof scheduleViewSchema>;
