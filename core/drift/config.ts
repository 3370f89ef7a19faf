/**
 * A deployment's drift monitoring and retraining settings (the `monitoring` and `retrain` objects
 * of its spec). Pure data and zod, so the workflow bundle may import the types.
 */
import { z } from 'zod';

export const DRIFT_METHODS = ['ks', 'chi2', 'wasserstein', 'jensenshannon', 'psi'] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];

/** Drift when the p-value is at most the threshold (tests) or the distance at least it (distances). */
export const P_VALUE_METHODS: readonly DriftMethod[] = ['ks', 'chi2'];
export const DEFAULT_THRESHOLDS: Record<DriftMethod, number> = {
  ks: 0.05,
  chi2: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

const featureName = z.string().min(1).max(200);

export const FeatureDriftSchema = z
  .object({
    method: z.enum(DRIFT_METHODS).optional().describe("the statistic; Evidently's default for the column when absent"),
    threshold: z.number().positive().max(1e6).optional().describe('p-value at or below, or distance at or above'),
    enabled: z.boolean().default(true).describe('false: leave the feature out'),
  })
  .strict();

export const MonitoringSchema = z
  .object({
    enabled: z.boolean().default(true),
    intervalSeconds: z.number().int().min(1).max(86_400).default(60).describe('how often the monitor checks'),
    minWindow: z.number().int().min(1).max(10_000_000).default(200).describe('no verdict with fewer rows'),
    windowSeconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .default(3_600)
      .describe('how much recent traffic each check compares'),
    driftShare: z.number().gt(0).max(1).default(0.5).describe('the data set drifts when this share of features does'),
    features: z.record(featureName, FeatureDriftSchema).default({}),
  })
  .strict();

export const RetrainSchema = z
  .object({
    pipeline: z.string().min(1).max(200),
    params: z.record(z.string(), z.unknown()).default({}),
    cooldownHours: z.number().min(0).max(8_760).default(24),
  })
  .strict();

export type MonitoringConfig = z.infer<typeof MonitoringSchema>;
export type MonitoringInput = z.input<typeof MonitoringSchema>;
export type RetrainConfig = z.infer<typeof RetrainSchema>;
export type RetrainInput = z.input<typeof RetrainSchema>;
