import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { registerDataset } from '../../core/registry/datasets/register.js';
import { registerModelVersion } from '../../core/registry/models/register.js';
import { problems } from './common.js';
import { actorOf, readUpload } from './registry-http.js';
import { datasetFields, datasetName, datasetVersionSchema, modelName, versionFields, versionSchema } from './registry-schemas.js';

const UPLOAD_HELP = 'multipart/form-data: a "metadata" field holding the JSON fields of the JSON registration ' +
  '(without source/artifactUri), then a "file" part with the bytes, streamed into the artifact store';

/** Registration by direct upload, for models (and data) that were not produced by a pipeline step. */
export const registryUploadRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, artifacts } = app.deps;

  app.post('/models/:name/versions/upload', {
    config: { role: 'operator' },
    schema: {
      tags: ['models'], summary: 'Register a version by uploading its artifact', description: UPLOAD_HELP,
      consumes: ['multipart/form-data'], params: z.strictObject({ name: modelName }),
      response: { 200: versionSchema, 201: versionSchema, ...problems(400, 409, 413, 429) },
    },
  }, async (req, reply) => {
    const up = await readUpload(req, artifacts, z.strictObject(versionFields));
    const r = await registerModelVersion({ db, artifacts }, req.params.name, up.metadata, actorOf(req), up);
    return reply.code(r.created ? 201 : 200).send(r.version);
  });

  app.post('/datasets/:name/versions/upload', {
    config: { role: 'operator' },
    schema: {
      tags: ['datasets'], summary: 'Register a dataset version by uploading its file (a CSV is profiled)', description: UPLOAD_HELP,
      consumes: ['multipart/form-data'], params: z.strictObject({ name: datasetName }),
      response: { 200: datasetVersionSchema, 201: datasetVersionSchema, ...problems(400, 409, 413, 429) },
    },
  }, async (req, reply) => {
    const up = await readUpload(req, artifacts, z.strictObject(datasetFields));
    const r = await registerDataset({ db, artifacts }, req.params.name, up.metadata, actorOf(req), up);
    return reply.code(r.created ? 201 : 200).send(r.version);
  });
};
