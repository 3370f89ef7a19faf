import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  deletePipeline, getPipeline, getPipelineVersion, listPipelines, listPipelineVersions, savePipelineVersion,
} from '../../core/pipeline/versions.js';
import { countActiveRuns } from '../../core/runs/queries.js';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.js';
import { specDigest } from '../../core/pipeline/hash.js';
import { parsePipelineSpec } from '../../core/pipeline/index.js';
import { decodeCursor, encodeCursor, isoTime, limit, name, problems } from './common.js';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

const specBody = z.strictObject({
  spec: z.union([z.string(), z.record(z.string(), z.unknown())])
    .describe('The pipeline spec as an object, or as YAML/JSON text. A raw YAML body (Content-Type: application/yaml) works too.'),
});
const summary = z.object({
  name: z.string(), latestVersion: z.number().int(), description: z.string().nullable(), createdAt: isoTime, updatedAt: isoTime,
});
const versionInfo = z.object({ version: z.number().int(), digest: z.string(), createdBy: z.string().nullable(), createdAt: isoTime });
const versionDoc = versionInfo.extend({ pipeline: z.string(), latestVersion: z.number().int(), spec: z.record(z.string(), z.unknown()) });
const applied = z.object({
  pipeline: z.string(), version: z.number().int(), latestVersion: z.number().int(), digest: z.string(),
  created: z.boolean().describe('false: an identical version already existed and nothing was written'),
});
const validated = z.object({
  valid: z.boolean(), digest: z.string().nullable(), spec: z.record(z.string(), z.unknown()).nullable(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
});

type SpecBody = z.infer<typeof specBody>;

/** Parses the body's spec; issue paths point into the request (`$.spec…` for JSON, `$…` for a YAML body). */
function parseBody(body: SpecBody, contentType: string | undefined) {
  const parsed = parsePipelineSpec(body.spec);
  if (parsed.ok) return parsed;
  const yaml = YAML_TYPES.some((t) => contentType?.startsWith(t));
  return { ok: false as const, errors: yaml ? parsed.errors : parsed.errors.map((e) => ({ ...e, path: e.path.replace(/^\$/, '$.spec') })) };
}

const toVersion = (v: NonNullable<Awaited<ReturnType<typeof getPipelineVersion>>>) => ({
  pipeline: v.pipeline, version: v.version, latestVersion: v.latest_version, digest: v.digest,
  spec: v.spec as Record<string, unknown>, createdBy: v.created_by, createdAt: v.created_at.toISOString(),
});

export const pipelineRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  // A raw YAML document becomes `{ spec: "<text>" }`, so both forms share one schema and parser.
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, text, done) => done(null, { spec: text }));

  app.get('/pipelines', {
    config: { role: 'viewer' },
    schema: {
      tags: ['pipelines'], summary: 'List pipelines (by name)',
      querystring: z.strictObject({ cursor: z.string().optional(), limit }),
      response: { 200: z.object({ items: z.array(summary), nextCursor: z.string().nullable() }), ...problems(400) },
    },
  }, async (req) => {
    const after = req.query.cursor ? decodeCursor(req.query.cursor, (v): v is string => typeof v === 'string') : undefined;
    const rows = await listPipelines(db, { after, limit: req.query.limit });
    const items = rows.map((p) => ({
      name: p.name, latestVersion: p.latest_version, description: p.description,
      createdAt: p.created_at.toISOString(), updatedAt: p.updated_at.toISOString(),
    }));
    return { items, nextCursor: rows.length === req.query.limit ? encodeCursor(rows.at(-1)!.name) : null };
  });

  app.post('/pipelines', {
    config: { role: 'operator' },
    schema: {
      tags: ['pipelines'], summary: 'Create or update a pipeline from its spec (a new version only when the spec changed)',
      body: specBody, response: { 200: applied, 201: applied, ...problems(400, 413) },
    },
  }, async (req, reply) => {
    const parsed = parseBody(req.body, req.headers['content-type']);
    if (!parsed.ok) throw new ValidationError('invalid pipeline spec', parsed.errors);
    const { spec } = parsed;
    const saved = await savePipelineVersion(db, {
      name: spec.name, description: spec.description, digest: specDigest(spec), spec, createdBy: req.principal?.name,
    });
    if (saved.created) {
      await req.audit({
        action: saved.version === 1 ? 'pipeline.create' : 'pipeline.update', resourceType: 'pipeline', resourceId: spec.name,
        details: { version: saved.version, digest: saved.digest },
      });
    }
    return reply.code(saved.created ? 201 : 200).send(saved);
  });

  app.post('/pipelines/validate', {
    config: { role: 'viewer' },
    schema: {
      tags: ['pipelines'], summary: 'Validate a spec without saving it', body: specBody,
      response: { 200: validated, ...problems(400, 413) },
    },
  }, async (req) => {
    const parsed = parseBody(req.body, req.headers['content-type']);
    if (!parsed.ok) return { valid: false, digest: null, spec: null, errors: parsed.errors };
    return { valid: true, digest: specDigest(parsed.spec), spec: parsed.spec, errors: [] };
  });

  app.get('/pipelines/:name', {
    config: { role: 'viewer' },
    schema: {
      tags: ['pipelines'], summary: 'The latest version of a pipeline, with the list of its versions',
      params: z.strictObject({ name }),
      response: { 200: versionDoc.extend({ versions: z.array(versionInfo) }), ...problems(404) },
    },
  }, async (req) => {
    const latest = await getPipelineVersion(db, req.params.name);
    if (!latest) throw new NotFoundError('pipeline', req.params.name);
    const versions = (await listPipelineVersions(db, req.params.name)).map((v) => ({
      version: v.version, digest: v.digest, createdBy: v.created_by, createdAt: v.created_at.toISOString(),
    }));
    return { ...toVersion(latest), versions };
  });

  app.get('/pipelines/:name/versions/:version', {
    config: { role: 'viewer' },
    schema: {
      tags: ['pipelines'], summary: 'One version of a pipeline',
      params: z.strictObject({ name, version: z.coerce.number().int().min(1) }),
      response: { 200: versionDoc, ...problems(404) },
    },
  }, async (req) => {
    const v = await getPipelineVersion(db, req.params.name, req.params.version);
    if (!v) throw new NotFoundError('pipeline version', `${req.params.name}@${req.params.version}`);
    return toVersion(v);
  });

  app.delete('/pipelines/:name', {
    config: { role: 'admin' },
    schema: {
      tags: ['pipelines'], summary: 'Delete a pipeline and its versions (its runs stay); refused while it has active runs',
      params: z.strictObject({ name }), response: { 204: z.null(), ...problems(404, 409) },
    },
  }, async (req, reply) => {
    const { name: pipeline } = req.params;
    if (!(await getPipeline(db, pipeline))) throw new NotFoundError('pipeline', pipeline);
    const active = await countActiveRuns(db, pipeline);
    if (active > 0) throw new ConflictError(`pipeline ${pipeline} has ${active} pending or running run(s); cancel them first`);
    await deletePipeline(db, pipeline);
    await req.audit({ action: 'pipeline.delete', resourceType: 'pipeline', resourceId: pipeline });
    return reply.code(204).send(null);
  });
};
