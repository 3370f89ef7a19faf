import { z } from 'zod';
import { isoTime } from '../util/time-schema.js';

export const pipelineSummarySchema = z.object({
  name: z.string(),
  latestVersion: z.number().int(),
  description: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type PipelineSummary = z.infer<typeof pipelineSummarySchema>;

export const pipelineVersionInfoSchema = z.object({
  version: z.number().int(),
  digest: z.string(),
  createdBy: z.string().nullable(),
  createdAt: isoTime,
});
export type PipelineVersionInfo = z.infer<typeof pipelineVersionInfoSchema>;

/** One stored version with its spec. */
export const pipelineVersionSchema = pipelineVersionInfoSchema.extend({
  pipeline: z.string(),
  latestVersion: z.number().int(),
  spec: z.record(z.string(), z.unknown()),
});
export type PipelineVersionView = z.infer<typeof pipelineVersionSchema>;

/** The outcome of applying a spec. */
export const appliedPipelineSchema = z.object({
  pipeline: z.string(),
  version: z.number().int(),
  latestVersion: z.number().int(),
  digest: z.string(),
  created: z.boolean().describe('false: an identical version already existed and nothing was written'),
});

/** The outcome of validating a spec without saving it. */
export const pipelineCheckSchema = z.object({
  valid: z.boolean(),
  digest: z.string().nullable(),
  spec: z.record(z.string(), z.unknown()).nullable(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
});
