import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { compareVersions } from '../../core/registry/models/compare.js';
import { downloadName } from '../../core/registry/formats.js';
import { registerModelVersion } from '../../core/registry/models/register.js';
import { METRIC_OPS, searchVersions } from '../../core/registry/models/version-search.js';
import { requireVersion } from '../../core/registry/models/versions-read.js';
import { archiveVersion, updateVersion } from '../../core/registry/models/versions-write.js';
import { sendArtifact } from '../lib/artifact-download.js';
import { paramGroup } from '../plugins/openapi-param-groups.js';
import { readUpload, UPLOAD_HELP } from '../lib/uploads.js';
import { cursorQuery, pageLimit, plainText, problems, queryFlag } from '../schemas/common.js';
import {
  aliasName,
  artifactBytes,
  artifactUri,
  metadataPatch,
  modelName,
  oneSource,
  sourceSchema,
  page,
  source,
  tagQuery,
  versionFields,
  versionNumber,
  versionRef,
  versionSchema,
} from '../schemas/registry.js';

const byModel = z.strictObject({ name: modelName });
/** The rules searchVersions enforces, as the document states them. */
const METRIC_FILTER = paramGroup({
  name: 'metricFilter',
  description:
    'metric, op and value filter together (op and value need each other and a metric); order=metric_* needs a metric',
  keys: ['metric', 'op', 'value', 'order'],
  rules: {
    dependentRequired: { op: ['metric', 'value'], value: ['metric', 'op'] },
    if: { properties: { order: { enum: ['metric_desc', 'metric_asc'] } }, required: ['order'] },
    then: { required: ['metric'] },
  },
});
const byVersion = z.strictObject({ name: modelName, version: versionNumber });
const byRef = z.strictObject({ name: modelName, version: versionRef.describe('a number, @alias or latest') });
const metricDiff = z.object({
  name: z.string(),
  a: z.number().nullable(),
  b: z.number().nullable(),
  delta: z.number().nullable(),
});
const paramDiff = z.object({ name: z.string(), a: z.unknown(), b: z.unknown(), changed: z.boolean() });

/** Versions of a model: register (from a run's output, a stored artifact or an upload), search, compare, read, download, archive. */
export const modelVersionRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, artifacts, versionCache: cache } = app;

  app.post(
    '/models/:name/versions',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['models'],
        summary:
          'Register a version (201; 200 when the idempotency key replays an earlier one). Creates the model if new.',
        params: byModel,
        body: z
          .strictObject({ source: source.optional(), artifactUri: artifactUri.optional(), ...versionFields })
          .superRefine(oneSource)
          .meta(sourceSchema),
        response: { 200: versionSchema, 201: versionSchema, ...problems(400, 409, 413, 429) },
      },
    },
    async (req, reply) => {
      const r = await registerModelVersion({ db, artifacts }, req.params.name, req.body, req.actor);
      return reply.code(r.created ? 201 : 200).send(r.version);
    },
  );

  app.post(
    '/models/:name/versions/upload',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['models'],
        summary: 'Register a version by uploading its artifact',
        description: UPLOAD_HELP,
        consumes: ['multipart/form-data'],
        params: byModel,
        response: { 200: versionSchema, 201: versionSchema, ...problems(400, 409, 413, 429) },
      },
    },
    async (req, reply) => {
      const up = await readUpload(req, artifacts, z.strictObject(versionFields));
      const r = await registerModelVersion({ db, artifacts }, req.params.name, up.metadata, req.actor, up);
      return reply.code(r.created ? 201 : 200).send(r.version);
    },
  );

  app.get(
    '/models/:name/versions',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'Search versions by metric, tag, alias and status (e.g. ?metric=accuracy&op=gt&value=0.9)',
        params: byModel,
        querystring: z
          .strictObject({
            metric: plainText(128).min(1).optional(),
            op: z.enum(Object.keys(METRIC_OPS) as [keyof typeof METRIC_OPS]).optional(),
            value: z.coerce.number().optional(),
            tag: tagQuery,
            alias: aliasName.optional(),
            status: z.enum(['registered', 'archived', 'all']).default('registered'),
            order: z.enum(['newest', 'oldest', 'metric_desc', 'metric_asc']).default('newest'),
            cursor: cursorQuery.optional(),
            limit: pageLimit,
          })
          .meta(METRIC_FILTER),
        response: { 200: page(versionSchema), ...problems(400, 404) },
      },
    },
    async (req) => {
      const { tag, ...f } = req.query;
      return searchVersions(db, req.params.name, { ...f, tags: tag });
    },
  );

  app.get(
    '/models/:name/versions/compare',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'Metric deltas (b - a) and param changes between two versions',
        params: byModel,
        querystring: z.strictObject({ a: versionRef, b: versionRef }),
        response: {
          200: z.object({
            a: versionSchema,
            b: versionSchema,
            metrics: z.array(metricDiff),
            params: z.array(paramDiff),
          }),
          ...problems(400, 404),
        },
      },
    },
    async (req) => {
      const a = await requireVersion(db, req.params.name, req.query.a);
      const b = await requireVersion(db, req.params.name, req.query.b);
      return { a, b, ...compareVersions(a, b) };
    },
  );

  app.get(
    '/models/:name/versions/:version',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'A version by number, @alias or latest',
        params: byRef,
        response: { 200: versionSchema, ...problems(400, 404) },
      },
    },
    async (req) => cache.get(req.params.name, req.params.version),
  );

  app.patch(
    '/models/:name/versions/:version',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['models'],
        summary: "Update a version's description and/or tags (its artifact, metrics and lineage never change)",
        params: byVersion,
        body: metadataPatch,
        response: { 200: versionSchema, ...problems(400, 404) },
      },
    },
    async (req) => updateVersion(db, req.params.name, req.params.version, req.body, req.actor),
  );

  app.post(
    '/models/:name/versions/:version/archive',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['models'],
        summary: 'Archive a version (409 while an alias points to it, unless ?force=true removes those aliases)',
        params: byVersion,
        querystring: z.strictObject({ force: queryFlag }),
        response: { 200: versionSchema, ...problems(404, 409) },
      },
    },
    async (req) => archiveVersion(db, req.params.name, req.params.version, { force: req.query.force }, req.actor),
  );

  app.get(
    '/models/:name/versions/:version/artifact',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'Download the artifact (streamed, sha256 verified; a directory comes as a tar)',
        params: byRef,
        response: { 200: artifactBytes, ...problems(400, 404, 503) },
      },
    },
    async (req, reply) => {
      const v = await cache.get(req.params.name, req.params.version);
      return sendArtifact(
        req,
        reply,
        artifacts,
        v.artifact,
        downloadName(v.model, v.version, v.format, v.artifact.kind),
      );
    },
  );
};
