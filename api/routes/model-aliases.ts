import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { rollbackAlias } from '../../core/registry/models/alias-history.js';
import { deleteAlias, listAliases, setAlias } from '../../core/registry/models/aliases.js';
import { problems } from '../schemas/common.js';
import {
  aliasName,
  aliasSchema,
  modelName,
  settableAlias,
  versionNumberBody,
  versionSchema,
} from '../schemas/registry.js';

const aliasParams = z.strictObject({ name: modelName, alias: aliasName });

/** Named pointers to versions (champion, production…): moves are atomic and audited with from/to. */
export const modelAliasRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, versionCache: cache } = app;

  app.get(
    '/models/:name/aliases',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'The aliases of a model',
        params: z.strictObject({ name: modelName }),
        response: { 200: z.object({ items: z.array(aliasSchema) }), ...problems(404) },
      },
    },
    async (req) => ({ items: await listAliases(db, req.params.name) }),
  );

  app.get(
    '/models/:name/aliases/:alias',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'The version an alias points to (same as GET /models/{name}/versions/@{alias})',
        params: aliasParams,
        response: { 200: versionSchema, ...problems(404) },
      },
    },
    async (req) => cache.get(req.params.name, { alias: req.params.alias }),
  );

  app.put(
    '/models/:name/aliases/:alias',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['models'],
        summary: 'Point an alias at a version (create or move); archived versions cannot take one',
        params: z.strictObject({ name: modelName, alias: settableAlias }),
        body: z.strictObject({ version: versionNumberBody }),
        response: {
          200: z.object({ alias: aliasSchema, previousVersion: z.number().int().nullable(), changed: z.boolean() }),
          ...problems(400, 404, 409),
        },
      },
    },
    async (req) => setAlias(db, req.params.name, req.params.alias, req.body.version, req.actor),
  );

  app.delete(
    '/models/:name/aliases/:alias',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['models'],
        summary: 'Remove an alias',
        params: aliasParams,
        response: { 204: z.null().describe('removed'), ...problems(404) },
      },
    },
    async (req, reply) => {
      await deleteAlias(db, req.params.name, req.params.alias, req.actor);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/models/:name/aliases/:alias/rollback',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['models'],
        summary: 'Move an alias back to the version it pointed at before its last move (409 when there was none)',
        params: aliasParams,
        response: {
          200: z.object({
            model: z.string(),
            alias: z.string(),
            version: z.number().int(),
            rolledBackFrom: z.number().int(),
          }),
          ...problems(404, 409),
        },
      },
    },
    async (req) => rollbackAlias(db, req.params.name, req.params.alias, req.actor),
  );
};
