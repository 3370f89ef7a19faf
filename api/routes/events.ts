import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listEvents } from '../../core/access/events.js';
import { decodeCursor, encodeCursor, isoTime, limit, problems, timeQuery } from './common.js';

const event = z.object({
  id: z.string(),
  at: isoTime,
  actor: z.string().describe('Name of the API key that made the change'),
  action: z.string().describe('e.g. run.start, pipeline.update, key.revoke'),
  resourceType: z.string(),
  resourceId: z.string(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

/** The audit trail: append-only (the database refuses updates and deletes), newest first. */
export const eventRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/events', {
    config: { role: 'viewer' },
    schema: {
      tags: ['events'], summary: 'The audit trail of every change, newest first',
      querystring: z.strictObject({
        actor: z.string().optional(), action: z.string().optional(), resourceType: z.string().optional(),
        resourceId: z.string().optional(), since: timeQuery.optional(), until: timeQuery.optional(),
        cursor: z.string().optional(), limit,
      }),
      response: { 200: z.object({ items: z.array(event), nextCursor: z.string().nullable() }), ...problems(400) },
    },
  }, async (req) => {
    const { cursor, ...f } = req.query;
    const before = cursor ? decodeCursor(cursor, (v): v is number => Number.isSafeInteger(v)) : undefined;
    const rows = await listEvents(app.deps.db, { ...f, ...(before !== undefined ? { before } : {}) });
    return {
      items: rows.map((e) => ({
        id: String(e.id), at: e.at.toISOString(), actor: e.actor, action: e.action, resourceType: e.resource_type,
        resourceId: e.resource_id, requestId: e.request_id, details: e.details as Record<string, unknown>,
      })),
      nextCursor: rows.length === f.limit ? encodeCursor(Number(rows.at(-1)!.id)) : null,
    };
  });
};
