import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireDatasetVersion } from '../../core/registry/datasets/versions.js';
import { lineage, MAX_DEPTH } from '../../core/registry/lineage/walk.js';
import { parseDatasetUri, parseModelUri } from '../../core/registry/uris.js';
import { requireVersion } from '../../core/registry/models/versions-read.js';
import { ValidationError } from '../../core/errors.js';
import { problems } from './common.js';
import { datasetName, datasetVersionRef, datasetVersionSchema, modelName, versionRef, versionSchema } from './registry-schemas.js';

const walk = z.strictObject({
  direction: z.enum(['upstream', 'downstream', 'both']).default('both'),
  depth: z.coerce.number().int().min(1).max(MAX_DEPTH).default(3).describe('hops from the root'),
});
const graph = z.object({
  root: z.string(), direction: z.enum(['upstream', 'downstream', 'both']), depth: z.number().int(),
  nodes: z.array(z.object({
    id: z.string(), type: z.enum(['dataset_version', 'run', 'artifact', 'model_version']), label: z.string(),
    attrs: z.record(z.string(), z.unknown()),
  })),
  edges: z.array(z.object({
    from: z.string(), to: z.string(), kind: z.enum(['consumed_by', 'produced', 'registered_as', 'trained_on']),
    via: z.string().optional().describe('step/output of a produced edge, step/input of a consumed_by edge'),
  })),
  truncated: z.boolean(),
}).describe('dataset version → run → artifact → model version, and onwards; ids are "<type>:<key>"');
const GRAPH_DOC = 'Edges: dataset_version -consumed_by-> run -produced-> artifact -registered_as-> model_version; '
  + 'dataset_version -trained_on-> model_version; artifact -registered_as-> dataset_version.';

/** Lineage graphs, and resolution of registry URIs as pipelines and deployments use them. */
export const lineageRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;

  app.get('/lineage/models/:name/versions/:version', {
    config: { role: 'viewer' },
    schema: {
      tags: ['lineage'], summary: 'Lineage of a model version', description: GRAPH_DOC,
      params: z.strictObject({ name: modelName, version: versionRef }), querystring: walk, response: { 200: graph, ...problems(400, 404) },
    },
  }, async (req) => {
    const v = await requireVersion(db, req.params.name, req.params.version);
    return lineage(db, { type: 'model_version', key: `${v.model}/${v.version}` }, req.query.direction, req.query.depth);
  });

  app.get('/lineage/datasets/:name/versions/:version', {
    config: { role: 'viewer' },
    schema: {
      tags: ['lineage'], summary: 'Lineage of a dataset version', description: GRAPH_DOC,
      params: z.strictObject({ name: datasetName, version: datasetVersionRef }), querystring: walk, response: { 200: graph, ...problems(400, 404) },
    },
  }, async (req) => {
    const v = await requireDatasetVersion(db, req.params.name, req.params.version);
    return lineage(db, { type: 'dataset_version', key: `${v.dataset}/${v.version}` }, req.query.direction, req.query.depth);
  });

  app.get('/lineage/runs/:id', {
    config: { role: 'viewer' },
    schema: {
      tags: ['lineage'], summary: 'Lineage of a run: what it consumed, what it produced, and what was registered from it',
      description: GRAPH_DOC, params: z.strictObject({ id: z.string().min(1).max(200) }), querystring: walk,
      response: { 200: graph, ...problems(400, 404) },
    },
  }, async (req) => lineage(db, { type: 'run', key: req.params.id }, req.query.direction, req.query.depth));

  app.get('/registry/resolve', {
    config: { role: 'viewer' },
    schema: {
      tags: ['models', 'datasets'], summary: 'Resolve models:/name/N, models:/name@alias, datasets:/name/N or datasets:/name@latest',
      querystring: z.strictObject({ uri: z.string().min(1).max(400) }),
      response: {
        200: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('model_version'), modelVersion: versionSchema }),
          z.object({ kind: z.literal('dataset_version'), datasetVersion: datasetVersionSchema }),
        ]),
        ...problems(400, 404),
      },
    },
  }, async (req) => {
    const { uri } = req.query;
    const m = parseModelUri(uri);
    if (m) return { kind: 'model_version' as const, modelVersion: await requireVersion(db, m.name, m.ref) };
    const d = parseDatasetUri(uri);
    if (d) return { kind: 'dataset_version' as const, datasetVersion: await requireDatasetVersion(db, d.name, d.ref) };
    throw new ValidationError(`cannot resolve ${JSON.stringify(uri)}`, [
      { path: 'querystring.uri', message: 'expected models:/<name>/<version>, models:/<name>@<alias>, datasets:/<name>/<version> or datasets:/<name>@latest' },
    ]);
  });
};
