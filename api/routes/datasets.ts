import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getDatasetStats, listDatasetVersions, requireDatasetVersion } from '../../core/registry/datasets/versions.js';
import { createDataset, listDatasets, requireDataset, updateDataset } from '../../core/registry/datasets/datasets.js';
import { downloadName } from '../../core/registry/formats.js';
import { registerDataset } from '../../core/registry/datasets/register.js';
import { NotFoundError } from '../../core/errors.js';
import { sendArtifact } from '../lib/artifact-download.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { readUpload, UPLOAD_HELP } from '../lib/uploads.js';
import { cursorQuery, pageLimit, plainText, problems } from '../schemas/common.js';
import {
  artifactBytes,
  artifactUri,
  datasetFields,
  datasetName,
  datasetSchema,
  datasetStats,
  datasetVersionRef,
  datasetVersionSchema,
  description,
  metadataPatch,
  oneSource,
  sourceSchema,
  page,
  source,
  tagQuery,
  tags,
  versionNumber,
} from '../schemas/registry.js';

const byName = z.strictObject({ name: datasetName });
const byRef = z.strictObject({ name: datasetName, version: datasetVersionRef.describe('a number or latest') });
const isName = (v: unknown): v is string => typeof v === 'string';
const isVersion = (v: unknown): v is number => Number.isSafeInteger(v);

/** Datasets and their versions: content digest, size, rows, schema and per-column statistics. */
export const datasetRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, artifacts } = app;

  app.post(
    '/datasets',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['datasets'],
        summary: 'Create a dataset (registering a first version also creates it)',
        body: z.strictObject({ name: datasetName, description: description.optional(), tags: tags.optional() }),
        response: { 201: datasetSchema, ...problems(400, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await createDataset(db, req.body, req.actor)),
  );

  app.get(
    '/datasets',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'List or search datasets by name prefix and tag',
        querystring: z.strictObject({
          prefix: plainText(128).optional(),
          tag: tagQuery,
          cursor: cursorQuery.optional(),
          limit: pageLimit,
        }),
        response: { 200: page(datasetSchema), ...problems(400) },
      },
    },
    async (req) => {
      const { cursor, tag, ...f } = req.query;
      const res = await listDatasets(db, {
        ...f,
        tags: tag,
        ...(cursor ? { after: decodeCursor(cursor, isName) } : {}),
      });
      return { items: res.items, nextCursor: res.nextCursor ? encodeCursor(res.nextCursor) : null };
    },
  );

  app.get(
    '/datasets/:name',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'A dataset',
        params: byName,
        response: { 200: datasetSchema, ...problems(404) },
      },
    },
    async (req) => requireDataset(db, req.params.name),
  );

  app.patch(
    '/datasets/:name',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['datasets'],
        summary: "Update a dataset's description and/or tags (tags replace the whole map)",
        params: byName,
        body: metadataPatch,
        response: { 200: datasetSchema, ...problems(400, 404) },
      },
    },
    async (req) => updateDataset(db, req.params.name, req.body, req.actor),
  );

  app.post(
    '/datasets/:name/versions',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['datasets'],
        summary: "Register a version from a run's output or a stored artifact (a CSV is profiled, streaming)",
        params: byName,
        body: z
          .strictObject({ source: source.optional(), artifactUri: artifactUri.optional(), ...datasetFields })
          .superRefine(oneSource)
          .meta(sourceSchema),
        response: { 200: datasetVersionSchema, 201: datasetVersionSchema, ...problems(400, 409, 413, 429) },
      },
    },
    async (req, reply) => {
      const r = await registerDataset({ db, artifacts }, req.params.name, req.body, req.actor);
      return reply.code(r.created ? 201 : 200).send(r.version);
    },
  );

  app.post(
    '/datasets/:name/versions/upload',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['datasets'],
        summary: 'Register a dataset version by uploading its file (a CSV is profiled)',
        description: UPLOAD_HELP,
        consumes: ['multipart/form-data'],
        params: byName,
        response: { 200: datasetVersionSchema, 201: datasetVersionSchema, ...problems(400, 409, 413, 429) },
      },
    },
    async (req, reply) => {
      const up = await readUpload(req, artifacts, z.strictObject(datasetFields));
      const r = await registerDataset({ db, artifacts }, req.params.name, up.metadata, req.actor, up);
      return reply.code(r.created ? 201 : 200).send(r.version);
    },
  );

  app.get(
    '/datasets/:name/versions',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'Versions of a dataset, newest first',
        params: byName,
        querystring: z.strictObject({ tag: tagQuery, cursor: cursorQuery.optional(), limit: pageLimit }),
        response: { 200: page(datasetVersionSchema), ...problems(400, 404) },
      },
    },
    async (req) => {
      const { cursor, tag, ...f } = req.query;
      const res = await listDatasetVersions(db, req.params.name, {
        ...f,
        tags: tag,
        ...(cursor ? { before: decodeCursor(cursor, isVersion) } : {}),
      });
      return { items: res.items, nextCursor: res.nextCursor ? encodeCursor(Number(res.nextCursor)) : null };
    },
  );

  app.get(
    '/datasets/:name/versions/:version',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'A dataset version (number or latest)',
        params: byRef,
        response: { 200: datasetVersionSchema, ...problems(400, 404) },
      },
    },
    async (req) => requireDatasetVersion(db, req.params.name, req.params.version),
  );

  app.get(
    '/datasets/:name/versions/:version/stats',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'Row count and per-column statistics: the baseline drift monitoring compares against',
        params: z.strictObject({ name: datasetName, version: versionNumber }),
        response: { 200: datasetStats, ...problems(400, 404) },
      },
    },
    async (req) => {
      const stats = await getDatasetStats(db, req.params.name, req.params.version);
      if (!stats) throw new NotFoundError('statistics of dataset version', `${req.params.name}/${req.params.version}`);
      return stats;
    },
  );

  app.get(
    '/datasets/:name/versions/:version/artifact',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'Download the data (streamed, sha256 verified)',
        params: byRef,
        response: { 200: artifactBytes, ...problems(400, 404, 503) },
      },
    },
    async (req, reply) => {
      const v = await requireDatasetVersion(db, req.params.name, req.params.version);
      return sendArtifact(
        req,
        reply,
        artifacts,
        v.artifact,
        downloadName(v.dataset, v.version, v.format, v.artifact.kind),
      );
    },
  );
};
