import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { issueKey, listKeys, revokeKey, ROLES } from '../../core/access/keys.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { isoTime, nullableTime, problems } from './common.js';

const role = z.enum(ROLES as ['viewer', 'operator', 'admin']);
const keyInfo = z.object({
  id: z.string(), name: z.string(), role, createdBy: z.string().nullable(), createdAt: isoTime,
  expiresAt: nullableTime, revokedAt: nullableTime,
});

type KeyRow = Awaited<ReturnType<typeof listKeys>>[number];
const toInfo = (k: KeyRow) => ({
  id: k.id, name: k.name, role: k.role, createdBy: k.created_by, createdAt: k.created_at.toISOString(),
  expiresAt: k.expires_at?.toISOString() ?? null, revokedAt: k.revoked_at?.toISOString() ?? null,
});

/** API keys: admins only. The secret is returned once, at creation; only its hash is stored. */
export const keyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;

  app.post('/keys', {
    config: { role: 'admin' },
    schema: {
      tags: ['keys'], summary: 'Issue an API key (the secret is in this response only)',
      body: z.strictObject({
        name: z.string().trim().min(1).max(100), role,
        expiresAt: z.iso.datetime({ offset: true }).optional().describe('When the key stops working (default: never)'),
      }),
      response: {
        201: z.object({ id: z.string(), name: z.string(), role, key: z.string().describe('The secret: store it now'), expiresAt: nullableTime }),
        ...problems(400, 413, 429),
      },
    },
  }, async (req, reply) => {
    const expiresAt = req.body.expiresAt ? new Date(req.body.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new ValidationError('invalid key', [{ path: '$.expiresAt', message: 'must be in the future' }]);
    }
    const k = await issueKey(db, { name: req.body.name, role: req.body.role, createdBy: req.principal?.name, expiresAt });
    await req.audit({ action: 'key.issue', resourceType: 'api_key', resourceId: k.id, details: { name: k.name, role: k.role } });
    return reply.code(201).send({ ...k, expiresAt: k.expiresAt?.toISOString() ?? null });
  });

  app.get('/keys', {
    config: { role: 'admin' },
    schema: { tags: ['keys'], summary: 'List API keys (never their secrets)', response: { 200: z.object({ items: z.array(keyInfo) }) } },
  }, async () => ({ items: (await listKeys(db)).map(toInfo) }));

  app.delete('/keys/:id', {
    config: { role: 'admin' },
    schema: {
      tags: ['keys'], summary: 'Revoke an API key (effective at once; revoking twice is harmless)',
      params: z.strictObject({ id: z.string().min(1).max(100) }), response: { 200: keyInfo, ...problems(404, 429) },
    },
  }, async (req) => {
    if (!(await revokeKey(db, req.params.id))) throw new NotFoundError('API key', req.params.id);
    app.forgetKeys();
    await req.audit({ action: 'key.revoke', resourceType: 'api_key', resourceId: req.params.id });
    return toInfo((await listKeys(db)).find((k) => k.id === req.params.id)!);
  });
};
