import { z } from 'zod';
import {
  ALIAS_NAME,
  ALIAS_NAME_HINT,
  MAX_TAG_VALUE,
  MAX_TAGS,
  MODEL_NAME,
  MODEL_NAME_HINT,
  parseTagFilter,
  TAG_KEY,
  TAG_KEY_HINT,
} from '../../core/registry/names.js';
import { FORMAT } from '../../core/registry/formats.js';
import { DATASET_URI_HINT, MODEL_URI_HINT, parseVersionRef } from '../../core/registry/uris.js';
import { NO_CONTROL } from '../../core/util/text.js';
import { exactlyOneOf, freeText, isoTime, noNulInside, nullableTime, plainText } from './common.js';

export const modelName = z.string().regex(MODEL_NAME, `must be ${MODEL_NAME_HINT}`);
export const datasetName = modelName;
export const aliasName = z.string().regex(ALIAS_NAME, `must be ${ALIAS_NAME_HINT}`);
/** An alias a client may set: `latest` always means the newest version (RESERVED_ALIASES). */
export const settableAlias = aliasName.regex(/^(?!latest$)/, 'latest is reserved: it always means the newest version');
/** `3`, `@champion`, `champion` or `latest`: what parseVersionRef reads. */
const VERSION_REF = new RegExp(`^([1-9]\\d{0,8}|@?${ALIAS_NAME.source.slice(1, -1)})$`);
/** A version in a path: `3`, `@champion` or `latest`. */
export const versionRef = z
  .string()
  .max(100)
  .regex(VERSION_REF, 'expected a version number, @alias or latest')
  .transform((s, ctx) => {
    const ref = parseVersionRef(s);
    if (!ref) ctx.addIssue({ code: 'custom', message: 'expected a version number, @alias or latest' });
    return ref ?? { version: 0 };
  });
export const versionNumber = z.coerce.number().int().min(1, 'versions start at 1').max(999_999_999);
/** A version number in a JSON body: a number, not a string that looks like one. */
export const versionNumberBody = z.number().int().min(1, 'versions start at 1').max(999_999_999);

export const tags = z
  .record(z.string().regex(TAG_KEY, `tag keys must be ${TAG_KEY_HINT}`), plainText(MAX_TAG_VALUE))
  .refine((t) => Object.keys(t).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`);
const inner = (re: RegExp) => re.source.slice(1, -1);
/** datasets:/name/N or datasets:/name@latest: what parseDatasetUri reads. */
const DATASET_URI = new RegExp(`^datasets:/${inner(MODEL_NAME)}(/[1-9]\\d{0,8}|@latest)$`);
/** A model or dataset version URI: what /registry/resolve reads. */
export const registryUri = z
  .string()
  .regex(
    new RegExp(`^models:/${inner(MODEL_NAME)}(/[1-9]\\d{0,8}|@${inner(ALIAS_NAME)})$|${DATASET_URI.source}`),
    `expected ${MODEL_URI_HINT}, ${DATASET_URI_HINT}`,
  );
/** `key` or `key:value`: what parseTagFilter reads. */
const TAG_FILTER = new RegExp(`^${TAG_KEY.source.slice(1, -1)}(:${NO_CONTROL.source.slice(1, -1)})?$`);
const tagFilter = z.string().max(400).regex(TAG_FILTER, `expected key or key:value, key being ${TAG_KEY_HINT}`);
/** `?tag=team:risk&tag=stage` (repeatable): every filter must match. */
export const tagQuery = z
  .union([tagFilter, z.array(tagFilter).max(MAX_TAGS)])
  .optional()
  .transform((v, ctx) => {
    const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
    return list.map((s) => {
      const f = parseTagFilter(s);
      if (typeof f === 'string') ctx.addIssue({ code: 'custom', message: f });
      return typeof f === 'string' ? { key: '' } : f;
    });
  })
  .describe('key or key:value; repeat for AND');
export const format = z
  .string()
  .regex(FORMAT, 'formats are lowercase, e.g. sklearn-pickle, onnx, csv, parquet')
  .describe('sklearn-pickle, onnx, pytorch, csv, parquet…; inferred from the file name when absent');
export const description = freeText(10_000).nullable();
/** PATCH bodies of models, versions and datasets: metadata only, and at least one field. */
export const metadataPatch = z
  .strictObject({ description: description.optional(), tags: tags.optional() })
  .refine((b) => b.description !== undefined || b.tags !== undefined, 'give description and/or tags')
  .meta({ minProperties: 1 });
export const source = z
  .strictObject({
    runId: plainText(200).min(1),
    stepId: plainText(200).min(1),
    output: plainText(255).min(1),
  })
  .describe('a step output of a run');
export const artifactUri = plainText(2048).min(1).describe('a URI of the configured artifact store, or sha256:<hex>');
export const idempotencyKey = plainText(200)
  .min(1)
  .describe('a retried registration with the same key returns the first version');

const metricName = plainText(128).min(1);
const modelMetrics = z.record(metricName, z.number());
const modelParams = z.record(metricName, z.union([freeText(4096), z.number(), z.boolean()]));
const sigColumn = z.strictObject({
  name: plainText(256).min(1).optional(),
  type: plainText(64).min(1),
  shape: z.array(z.number().int().min(-1)).max(16).optional(),
  optional: z.boolean().optional(),
});
export const signature = z
  .strictObject({
    inputs: z.array(sigColumn).max(10_000),
    outputs: z.array(sigColumn).max(10_000).optional(),
  })
  .describe('input and output schema, MLflow-style: columns or tensors with type and shape');

/** What a model version registration carries besides its bytes (JSON body, or the upload's metadata field). */
export const versionFields = {
  format: format.optional(),
  description: description.optional(),
  metrics: modelMetrics.optional(),
  params: modelParams.optional(),
  signature: signature.optional(),
  tags: tags.optional(),
  datasets: z
    .array(z.string().max(300).regex(DATASET_URI, `expected ${DATASET_URI_HINT}`))
    .max(100)
    .optional()
    .describe('training data: datasets:/name/N or datasets:/name@latest'),
  image: plainText(500).min(1).optional().describe('image reference, when no producing step recorded a digest'),
  idempotencyKey: idempotencyKey.optional(),
};

/** Exactly one of source and artifactUri (skipped for uploads, which bring their own bytes); `sourceSchema` says it in the document. */
export const sourceSchema = exactlyOneOf('source', 'artifactUri');
export function oneSource(b: { source?: unknown; artifactUri?: unknown }, ctx: z.RefinementCtx): void {
  if ((b.source === undefined) === (b.artifactUri === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['source'],
      message: 'give exactly one of source {runId, stepId, output} or artifactUri',
    });
  }
}

export const artifactRef = z.object({
  uri: z.string(),
  sha256: z.string(),
  size: z.number(),
  kind: z.enum(['file', 'dir']),
});
export const modelSchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  status: z.enum(['active', 'archived']),
  latestVersion: z.number().int().nullable(),
  aliases: z.record(z.string(), z.number().int()),
  createdBy: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export const versionSchema = z.object({
  model: z.string(),
  version: z.number().int(),
  uri: z.string(),
  status: z.enum(['registered', 'archived']),
  description: z.string().nullable(),
  format: z.string(),
  artifact: artifactRef,
  metrics: z.record(z.string(), z.number()),
  params: z.record(z.string(), z.unknown()),
  signature: z.unknown(),
  tags: z.record(z.string(), z.string()),
  aliases: z.array(z.string()),
  lineage: z.object({
    runId: z.string().nullable(),
    stepId: z.string().nullable(),
    output: z.string().nullable(),
    image: z.string().nullable(),
    datasets: z.array(z.string()),
  }),
  createdBy: z.string().nullable(),
  createdAt: isoTime,
  archivedAt: nullableTime,
});
export const aliasSchema = z.object({
  model: z.string(),
  alias: z.string(),
  version: z.number().int(),
  updatedBy: z.string().nullable(),
  updatedAt: isoTime,
});
export const datasetSchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  latestVersion: z.number().int().nullable(),
  createdBy: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export const columnType = z.enum(['integer', 'number', 'boolean', 'string', 'datetime', 'binary', 'unknown']);
export const tableSchema = z.strictObject({
  columns: z.array(z.strictObject({ name: plainText(256).min(1), type: columnType })).max(10_000),
});
export const columnStats = z.object({
  name: z.string(),
  type: columnType,
  count: z.number(),
  nulls: z.number(),
  distinct: z.number(),
  distinctCapped: z.boolean(),
  min: z.number().optional(),
  max: z.number().optional(),
  mean: z.number().optional(),
  std: z.number().optional(),
  histogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number()) }).optional(),
  trueCount: z.number().optional(),
  topValues: z.array(z.object({ value: z.string(), count: z.number() })).optional(),
  minLength: z.number().optional(),
  maxLength: z.number().optional(),
  quantiles: z
    .object({ edges: z.array(z.number()), counts: z.array(z.number()), exact: z.boolean() })
    .optional()
    .describe('Decile bin edges with counts (ingest steps); estimated when `exact` is false'),
  frequencies: z
    .object({
      values: z.array(z.object({ value: z.string(), count: z.number() })),
      otherCount: z.number(),
      capped: z.boolean(),
    })
    .optional()
    .describe('Value counts of a categorical column (ingest steps); values past the cap count as otherCount'),
});
export const datasetStats = z.object({ rowCount: z.number().int().min(0), columns: z.array(columnStats).max(10_000) });
export const datasetVersionSchema = z.object({
  dataset: z.string(),
  version: z.number().int(),
  uri: z.string(),
  description: z.string().nullable(),
  format: z.string(),
  artifact: artifactRef,
  rowCount: z.number().nullable(),
  schema: tableSchema.nullable(),
  hasStats: z.boolean(),
  sourceUri: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  lineage: z.object({ runId: z.string().nullable(), stepId: z.string().nullable(), output: z.string().nullable() }),
  createdBy: z.string().nullable(),
  createdAt: isoTime,
});
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
/** The 200 of an artifact download: the bytes, with their sha256 in ETag, Digest and Repr-Digest. */
export const artifactBytes = {
  description: 'The stored bytes (a directory artifact as a tar), verified against their sha256 while streaming',
  content: { 'application/octet-stream': { schema: z.string().describe('binary') } },
};

/** A dataset version in a path: a number or `latest`. */
export const datasetVersionRef = z
  .string()
  .max(100)
  .regex(/^([1-9]\d{0,8}|latest)$/, 'expected a version number or latest')
  .transform((s, ctx): { version: number } | { alias: 'latest' } => {
    if (s === 'latest') return { alias: 'latest' };
    if (/^[1-9]\d{0,8}$/.test(s)) return { version: Number(s) };
    ctx.addIssue({ code: 'custom', message: 'expected a version number or latest' });
    return { version: 0 };
  });
export const datasetFields = {
  format: format.optional(),
  description: description.optional(),
  schema: tableSchema.optional().describe('explicit columns and types (else inferred for CSV)'),
  stats: datasetStats.superRefine(noNulInside).optional().describe('explicit statistics (else computed for CSV)'),
  sourceUri: plainText(2048).min(1).optional().describe('where the data came from, e.g. a warehouse table'),
  tags: tags.optional(),
  idempotencyKey: idempotencyKey.optional(),
};
