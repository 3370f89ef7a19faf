import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { archiveModel, createModel, listModels, requireModel, updateModel } from '../../core/registry/models/models.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { cursorQuery, pageLimit, plainText, problems, queryFlag } from '../schemas/common.js';
import {
  aliasName,
  description,
  metadataPatch,
  modelName,
  modelSchema,
  page,
  tagQuery,
  tags,
} from '../schemas/registry.js';

const byName = z.strictObject({ name: modelName });
const isName = (v: unknown): v is string => typeof v === 'string';

/** Registered models: create, read, search by prefix / tag / alias, update metadata, archive. */
export const modelRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app;

  app.post(
    '/models',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['models'],
        summary: 'Create a model (registering a first version also creates it)',
        body: z.strictObject({ name: modelName, description: description.optional(), tags: tags.optional() }),
        response: { 201: modelSchema, ...problems(400, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await createModel(db, req.body, req.actor)),
  );

  app.get(
    '/models',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'List or search models by name prefix, tag and alias, by name',
        querystring: z.strictObject({
          prefix: plainText(128).optional(),
          tag: tagQuery,
          alias: aliasName.optional().describe('only models with this alias set'),
          status: z.enum(['active', 'archived', 'all']).default('active'),
          cursor: cursorQuery.optional(),
          limit: pageLimit,
        }),
        response: { 200: page(modelSchema), ...problems(400) },
      },
    },
    async (req) => {
      const { cursor, tag, ...f } = req.query;
      const res = await listModels(db, { ...f, tags: tag, ...(cursor ? { after: decodeCursor(cursor, isName) } : {}) });
      return { items: res.items, nextCursor: res.nextCursor ? encodeCursor(res.nextCursor) : null };
    },
  );

  app.get(
    '/models/:name',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'A model with its aliases and latest version number',
        params: byName,
        response: { 200: modelSchema, ...problems(404) },
      },
    },
    async (req) => requireModel(db, req.params.name),
  );

  app.patch(
    '/models/:name',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['models'],
        summary: "Update a model's description and/or tags (tags replace the whole map)",
        params: byName,
        body: metadataPatch,
        response: { 200: modelSchema, ...problems(400, 404) },
      },
    },
    async (req) => updateModel(db, req.params.name, req.body, req.actor),
  );

  app.post(
    '/models/:name/archive',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['models'],
        summary: 'Archive a model: no new versions or alias moves; versions stay resolvable by number',
        params: byName,
        querystring: z.strictObject({
          force: queryFlag.describe('also remove its aliases (else 409 while any exist)'),
        }),
        response: { 200: modelSchema, ...problems(404, 409) },
      },
    },
    async (req) => archiveModel(db, req.params.name, { force: req.query.force }, req.actor),
  );
};
