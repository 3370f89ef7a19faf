import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listAuditTrail } from '../../core/access/trail.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { auditEvent, eventQuery } from '../schemas/access.js';
import { problems } from '../schemas/common.js';

/** The audit trail: append-only (the database refuses updates and deletes), newest first. */
export const eventRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/events',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'The audit trail of every change, newest first',
        querystring: eventQuery,
        response: {
          200: z.object({ items: z.array(auditEvent), nextCursor: z.string().nullable() }),
          ...problems(400),
        },
      },
    },
    async (req) => {
      const { cursor, ...f } = req.query;
      const before = cursor ? decodeCursor(cursor, (v): v is number => Number.isSafeInteger(v)) : undefined;
      const page = await listAuditTrail(app.db, { ...f, ...(before !== undefined ? { before } : {}) });
      return { items: page.items, nextCursor: page.next !== undefined ? encodeCursor(page.next) : null };
    },
  );
};
