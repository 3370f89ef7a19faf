import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import { requireDatasetVersion } from '../../core/registry/datasets/versions.js';
import { lineage } from '../../core/registry/lineage/walk.js';
import { requireVersion } from '../../core/registry/models/versions-read.js';
import { resolveDatasetUri, resolveModelUri } from '../../core/registry/resolvers.js';
import { DATASET_URI_HINT, MODEL_URI_HINT } from '../../core/registry/uris.js';
import { plainText, problems } from '../schemas/common.js';
import { GRAPH_DOC, lineageGraph as graph, resolved, walkQuery as walk } from '../schemas/lineage.js';
import { datasetName, datasetVersionRef, modelName, registryUri, versionRef } from '../schemas/registry.js';

/** Lineage graphs, and resolution of registry URIs as pipelines and deployments use them. */
export const lineageRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app;

  app.get(
    '/lineage/models/:name/versions/:version',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['lineage'],
        summary: 'Lineage of a model version',
        description: GRAPH_DOC,
        params: z.strictObject({ name: modelName, version: versionRef }),
        querystring: walk,
        response: { 200: graph, ...problems(400, 404) },
      },
    },
    async (req) => {
      const v = await requireVersion(db, req.params.name, req.params.version);
      return lineage(
        db,
        { type: 'model_version', key: `${v.model}/${v.version}` },
        req.query.direction,
        req.query.depth,
      );
    },
  );

  app.get(
    '/lineage/datasets/:name/versions/:version',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['lineage'],
        summary: 'Lineage of a dataset version',
        description: GRAPH_DOC,
        params: z.strictObject({ name: datasetName, version: datasetVersionRef }),
        querystring: walk,
        response: { 200: graph, ...problems(400, 404) },
      },
    },
    async (req) => {
      const v = await requireDatasetVersion(db, req.params.name, req.params.version);
      return lineage(
        db,
        { type: 'dataset_version', key: `${v.dataset}/${v.version}` },
        req.query.direction,
        req.query.depth,
      );
    },
  );

  app.get(
    '/lineage/runs/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['lineage'],
        summary: 'Lineage of a run: what it consumed, what it produced, and what was registered from it',
        description: GRAPH_DOC,
        params: z.strictObject({ id: plainText(200).min(1) }),
        querystring: walk,
        response: { 200: graph, ...problems(400, 404) },
      },
    },
    async (req) => lineage(db, { type: 'run', key: req.params.id }, req.query.direction, req.query.depth),
  );

  app.get(
    '/registry/resolve',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['models', 'datasets'],
        summary: 'Resolve models:/name/N, models:/name@alias, datasets:/name/N or datasets:/name@latest',
        querystring: z.strictObject({ uri: registryUri.max(400) }),
        response: { 200: resolved, ...problems(400, 404) },
      },
    },
    async (req) => {
      const { uri } = req.query;
      const path = 'querystring.uri';
      if (uri.startsWith('models:/'))
        return { kind: 'model_version' as const, modelVersion: await resolveModelUri(db, uri, path) };
      if (uri.startsWith('datasets:/'))
        return { kind: 'dataset_version' as const, datasetVersion: await resolveDatasetUri(db, uri, path) };
      throw new ValidationError(`cannot resolve ${JSON.stringify(uri)}`, [
        { path, message: `expected ${MODEL_URI_HINT}, ${DATASET_URI_HINT}` },
      ]);
    },
  );
};
