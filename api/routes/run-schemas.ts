import { z } from 'zod';
import { isoTime, nullableTime } from './common.js';

export const runStatus = z.enum(['pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'terminated']);
export const stepStatus = z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped', 'cached', 'cancelled']);

const artifactRef = z.object({ uri: z.string(), sha256: z.string(), size: z.number(), kind: z.enum(['file', 'dir']) });

export const stepView = z.object({
  id: z.string(),
  status: stepStatus,
  attempt: z.number().int(),
  startedAt: nullableTime,
  finishedAt: nullableTime,
  durationMs: z.number().nullable(),
  cacheHit: z.boolean(),
  cachedFromRun: z.string().nullable().describe('For a cache hit or a step reused by a retry: the run that produced it'),
  outputs: z.record(z.string(), artifactRef),
  metrics: z.record(z.string(), z.number()),
  error: z.string().nullable(),
});

export const runSummary = z.object({
  id: z.string(),
  pipeline: z.string(),
  version: z.number().int(),
  status: runStatus,
  trigger: z.string().describe('api, retry or schedule'),
  params: z.record(z.string(), z.unknown()),
  workflowId: z.string().describe('The Temporal workflow id (search it in the Temporal UI)'),
  createdBy: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  retryOf: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: isoTime,
  startedAt: nullableTime,
  finishedAt: nullableTime,
});

export const runView = runSummary.extend({ steps: z.array(stepView) });

export const startBody = {
  params: z.record(z.string(), z.unknown()).default({}).describe('Pipeline params; strings are coerced to the declared type'),
  version: z.number().int().min(1).optional().describe('Pin a version (default: the latest)'),
  idempotencyKey: z.string().min(1).max(200).optional()
    .describe('Retried requests with the same key start one workflow and return the same run'),
  cache: z.boolean().optional().describe('false: run every step even when a cached result exists'),
};
