import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Per API key, on mutating routes only (reads are cheap and cached; writes start workflows), over
 * the routes of the scope it is registered in. Runs as a preHandler so the key is already
 * authenticated; a limit of 0 (SLUICE_RATE_LIMIT_PER_MINUTE) turns it off.
 */
export const writeRateLimit = fp(
  async (app: FastifyInstance) => {
    const perMinute = app.config.api.rateLimitPerMinute;
    if (perMinute <= 0) return;
    await app.register(rateLimit, {
      global: true,
      max: perMinute,
      timeWindow: 60_000,
      hook: 'preHandler',
      keyGenerator: (req) => req.principal?.keyId ?? req.ip,
      allowList: (req) => READS.has(req.method),
    });
  },
  { name: 'sluice-rate-limit', dependencies: ['sluice-clients', 'sluice-auth'] },
);
