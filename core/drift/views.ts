import { z } from 'zod';
import { DRIFT_METHODS } from './config.js';

/** What GET /v1/deployments/{name}/drift answers (the API's schema, the CLI's type). */
const method = z.enum([...DRIFT_METHODS, 'share']);

export const featureResult = z.object({
  feature: z.string().describe("'' for the data set row (statistic: the share of drifted features)"),
  method,
  statistic: z.number().nullable().describe('null when infinite (a category the reference never had)'),
  pValue: z.number().nullable(),
  threshold: z.number(),
  drifted: z.boolean(),
  n: z.number().int(),
});

export const seriesPoint = featureResult.extend({
  at: z.string(),
  checkId: z.string(),
  version: z.number().int(),
});

export const driftView = z.object({
  deployment: z.string(),
  latest: z
    .object({
      checkId: z.string(),
      at: z.string(),
      model: z.string(),
      version: z.number().int(),
      reference: z.string().describe('the training dataset version compared with, name/version'),
      datasetDrift: z.boolean(),
      share: z.number(),
      driftShare: z.number(),
      rows: z.number().int(),
      features: z.array(featureResult),
    })
    .nullable()
    .describe('the most recent verdict; null before the first one'),
  retrains: z.array(z.object({ runId: z.string(), pipeline: z.string(), at: z.string(), checkId: z.string() })),
  series: z.object({ items: z.array(seriesPoint), nextCursor: z.string().nullable() }),
});
export type DriftView = z.infer<typeof driftView>;
