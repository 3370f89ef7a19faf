import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { issueApiKey, listApiKeys, revokeApiKey } from '../../core/access/api-keys.js';
import { issuedKey, issueKeyBody, keyInfo } from '../schemas/access.js';
import { plainText, problems } from '../schemas/common.js';

/** API keys: admins only. The secret is returned once, at creation; only its hash is stored. */
export const keyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app;

  app.post(
    '/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'Issue an API key (the secret is in this response only)',
        body: issueKeyBody,
        response: { 201: issuedKey, ...problems(400, 413, 429) },
      },
    },
    async (req, reply) => {
      const { expiresAt, ...k } = req.body;
      return reply
        .code(201)
        .send(await issueApiKey(db, req.actor, { ...k, expiresAt: expiresAt ? new Date(expiresAt) : null }));
    },
  );

  app.get(
    '/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'List API keys (never their secrets)',
        response: { 200: z.object({ items: z.array(keyInfo) }) },
      },
    },
    async () => ({ items: await listApiKeys(db) }),
  );

  app.delete(
    '/keys/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['keys'],
        summary: 'Revoke an API key (effective at once; revoking twice is harmless)',
        params: z.strictObject({ id: plainText(100).min(1) }),
        response: { 200: keyInfo, ...problems(404, 429) },
      },
    },
    async (req) => {
      const revoked = await revokeApiKey(db, req.actor, req.params.id);
      app.forgetKeys();
      return revoked;
    },
  );
};
