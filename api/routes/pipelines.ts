import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import {
  applyPipeline,
  checkPipeline,
  getPipelineVersionView,
  getPipelineWithVersions,
  listPipelineSummaries,
  removePipeline,
} from '../../core/pipeline/service.js';
import { checkSpec, violationIssues } from '../../core/policy/check.js';
import { PolicyViolationError } from '../../core/policy/errors.js';
import type { StepPolicy } from '../../core/policy/schema.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { cursorQuery, pageLimit, pipelineName, problems, versionParam } from '../schemas/common.js';
import {
  applied,
  pipelineSummary,
  specBody,
  validated,
  versionDoc,
  versionInfo,
  YAML_TYPES,
} from '../schemas/pipelines.js';

const isYaml = (contentType: string | undefined) => YAML_TYPES.some((t) => contentType?.startsWith(t));
/** Issue paths point into the request: `$.spec…` for a JSON body, `$…` for a YAML one. */
const intoBody = <T extends { path: string }>(issues: T[], contentType: string | undefined) =>
  isYaml(contentType) ? issues : issues.map((e) => ({ ...e, path: e.path.replace(/^\$/, '$.spec') }));

/** Checks the body's spec, then what its steps ask for against the step policy. */
function checkBody(body: z.infer<typeof specBody>, contentType: string | undefined, policy: StepPolicy) {
  const checked = checkPipeline(body.spec);
  if (!checked.ok) return { ok: false as const, errors: intoBody(checked.errors, contentType) };
  const violations = checkSpec(policy, checked.spec);
  if (violations.length)
    return { ok: false as const, policy: intoBody(violationIssues(checked.spec, violations), contentType) };
  return checked;
}

const byName = z.strictObject({ name: pipelineName });

export const pipelineRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, policy } = app;
  // A raw YAML document becomes `{ spec: "<text>" }`, so both forms share one schema and parser.
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, text, done) => done(null, { spec: text }));

  app.get(
    '/pipelines',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['pipelines'],
        summary: 'List pipelines (by name)',
        querystring: z.strictObject({ cursor: cursorQuery.optional(), limit: pageLimit }),
        response: {
          200: z.object({ items: z.array(pipelineSummary), nextCursor: z.string().nullable() }),
          ...problems(400),
        },
      },
    },
    async (req) => {
      const after = req.query.cursor
        ? decodeCursor(req.query.cursor, (v): v is string => typeof v === 'string')
        : undefined;
      const page = await listPipelineSummaries(db, { after, limit: req.query.limit });
      return { items: page.items, nextCursor: page.next !== undefined ? encodeCursor(page.next) : null };
    },
  );

  app.post(
    '/pipelines',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['pipelines'],
        summary: 'Create or update a pipeline from its spec (a new version only when the spec changed)',
        body: specBody,
        description:
          'A spec whose steps ask for more than the step policy allows is refused with 400 of type policy-violation, ' +
          'one error per violation naming the step, its field and the `rule`.',
        response: { 200: applied, 201: applied, ...problems(400, 413) },
      },
    },
    async (req, reply) => {
      const checked = checkBody(req.body, req.headers['content-type'], policy);
      if (!checked.ok && checked.policy) throw new PolicyViolationError(checked.policy);
      if (!checked.ok) throw new ValidationError('invalid pipeline spec', checked.errors);
      const saved = await applyPipeline(db, req.actor, checked.spec).catch((err: unknown) => {
        if (err instanceof ValidationError)
          throw new ValidationError(err.message, intoBody(err.issues, req.headers['content-type']));
        throw err;
      });
      return reply.code(saved.created ? 201 : 200).send(saved);
    },
  );

  app.post(
    '/pipelines/validate',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['pipelines'],
        summary: 'Validate a spec without saving it (the step policy included)',
        body: specBody,
        response: { 200: validated, ...problems(400, 413) },
      },
    },
    async (req) => {
      const checked = checkBody(req.body, req.headers['content-type'], policy);
      if (!checked.ok) return { valid: false, digest: null, spec: null, errors: checked.errors ?? checked.policy };
      return { valid: true, digest: checked.digest, spec: checked.spec, errors: [] };
    },
  );

  app.get(
    '/pipelines/:name',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['pipelines'],
        summary: 'The latest version of a pipeline, with the list of its versions',
        params: byName,
        response: { 200: versionDoc.extend({ versions: z.array(versionInfo) }), ...problems(404) },
      },
    },
    async (req) => getPipelineWithVersions(db, req.params.name),
  );

  app.get(
    '/pipelines/:name/versions/:version',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['pipelines'],
        summary: 'One version of a pipeline',
        params: z.strictObject({ name: pipelineName, version: versionParam }),
        response: { 200: versionDoc, ...problems(404) },
      },
    },
    async (req) => getPipelineVersionView(db, req.params.name, req.params.version),
  );

  app.delete(
    '/pipelines/:name',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['pipelines'],
        summary: 'Delete a pipeline and its versions (its runs stay); refused while it has active runs',
        params: byName,
        response: { 204: z.null(), ...problems(404, 409) },
      },
    },
    async (req, reply) => {
      await removePipeline(db, req.actor, req.params.name);
      return reply.code(204).send(null);
    },
  );
};
