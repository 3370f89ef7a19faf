// The run shapes every reader sees (API responses, the CLI), defined once as zod schemas;
// the TypeScript types are inferred from them.
import { z } from 'zod';
import { isoTime, nullableTime } from '../util/time-schema.js';
import { RUN_OUTCOMES, RUN_STATUSES, STEP_STATUSES } from './status.js';

export const runStatusSchema = z.enum(RUN_STATUSES);
export const stepStatusSchema = z.enum(STEP_STATUSES);
export const runOutcomeSchema = z.enum(RUN_OUTCOMES);

export const artifactRefSchema = z.object({
  uri: z.string(),
  sha256: z.string(),
  size: z.number(),
  kind: z.enum(['file', 'dir']),
});

export const stepViewSchema = z.object({
  id: z.string(),
  status: stepStatusSchema,
  attempt: z.number().int(),
  startedAt: nullableTime,
  finishedAt: nullableTime,
  durationMs: z.number().nullable(),
  cacheHit: z.boolean(),
  cachedFromRun: z
    .string()
    .nullable()
    .describe('For a cache hit or a step reused by a retry: the run that produced it'),
  outputs: z.record(z.string(), artifactRefSchema),
  metrics: z.record(z.string(), z.number()),
  error: z.string().nullable(),
  details: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe("What a built-in kind found or did: a gate's checks, an ingested or registered version, a decision"),
  skipReason: z.string().nullable().describe('Why a skipped step was skipped'),
});
export type StepView = z.infer<typeof stepViewSchema>;

export const runSummarySchema = z.object({
  id: z.string(),
  pipeline: z.string(),
  version: z.number().int(),
  status: runStatusSchema,
  trigger: z.string().describe('api, retry, schedule or drift'),
  params: z.record(z.string(), z.unknown()),
  workflowId: z.string().describe('The Temporal workflow id (search it in the Temporal UI)'),
  createdBy: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  retryOf: z.string().nullable(),
  error: z.string().nullable(),
  outcome: runOutcomeSchema
    .nullable()
    .describe('What the promotion path decided (a failed gate or a rejection still ends the run succeeded)'),
  outcomeReason: z.string().nullable(),
  createdAt: isoTime,
  startedAt: nullableTime,
  finishedAt: nullableTime,
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const runViewSchema = runSummarySchema.extend({ steps: z.array(stepViewSchema) });
export type RunView = z.infer<typeof runViewSchema>;
