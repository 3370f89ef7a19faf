import { z } from 'zod';
import { isoTime, plainText } from './common.js';

/** Deployment names as the deployments API accepts them. */
export const DEPLOYMENT_NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const deploymentParams = z.strictObject({
  name: plainText(63).regex(DEPLOYMENT_NAME, 'must be 1..63 chars of [a-z0-9-], starting with a letter'),
});

/** The most rows one prediction request may carry. */
export const MAX_PREDICT_ROWS = 1000;
/** The longest feature name a row may carry. */
const MAX_FEATURE_NAME = 200;

/** Characters as JSON Schema counts them (code points), not UTF-16 units: an emoji is one. */
const tooLong = (k: string) => k.length > MAX_FEATURE_NAME && [...k].length > MAX_FEATURE_NAME;
const featureName = z
  .string()
  .refine((k) => !tooLong(k), `feature names are at most ${MAX_FEATURE_NAME} characters`)
  .meta({ maxLength: MAX_FEATURE_NAME });

export const predictBody = z.strictObject({
  rows: z
    .array(z.record(featureName, z.unknown()), {
      error: 'expected an array of rows (objects of feature → value)',
    })
    .min(1, 'send at least one row')
    .max(MAX_PREDICT_ROWS, `at most ${MAX_PREDICT_ROWS} rows per request`)
    .describe('Input rows: objects of feature name → value, passed on to the model server as given'),
});

/**
 * The gateway's fast path: true exactly when `predictBody` accepts `body` unchanged (an object with
 * only `rows`, 1..1000 plain objects whose keys are at most 200 characters). The route validates
 * with this first and hands anything else to zod, so errors keep zod's wording; zod would return
 * the same rows (its record copy holds the same values), only later.
 */
export function isPredictBody(body: unknown): body is z.infer<typeof predictBody> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  let keys = 0;
  for (const k in body) if (k !== 'rows' || ++keys > 1) return false;
  const rows = (body as { rows?: unknown }).rows;
  if (!Array.isArray(rows) || rows.length < 1 || rows.length > MAX_PREDICT_ROWS) return false;
  for (const row of rows) {
    if (typeof row !== 'object' || row === null || Object.getPrototypeOf(row) !== Object.prototype) return false;
    for (const k in row) if (tooLong(k)) return false;
  }
  return true;
}

export const predictResponse = z.object({
  predictions: z.array(z.unknown()).describe("The model server's predictions, one per row"),
  model: z.string(),
  version: z.number().int().describe('The model version that served this request'),
  requestId: z.string().describe('Quote it in feedback (POST …/feedback)'),
});

export const feedbackBody = z.strictObject({
  requestId: plainText(64).min(1).describe('requestId of the prediction this is the truth for'),
  label: z.unknown().optional().describe('The true label of a one-row request'),
  labels: z.array(z.unknown()).max(MAX_PREDICT_ROWS).optional().describe('The true labels, one per row'),
});

export const feedbackResponse = z.object({
  requestId: z.string(),
  version: z.number().int(),
  labelled: z.number().int(),
  correct: z.number().int(),
});

export const accuracyQuery = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional().describe('Count feedback from this time on (default: all)'),
});

export const accuracyResponse = z.object({
  deployment: z.string(),
  since: isoTime.nullable(),
  versions: z.array(
    z.object({
      version: z.number().int(),
      labelled: z.number().int(),
      correct: z.number().int(),
      accuracy: z.number().nullable().describe('correct / labelled; null before any feedback'),
    }),
  ),
});
