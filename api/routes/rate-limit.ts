import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Per API key, on mutating routes only (reads are cheap and cached; writes start workflows).
 * Runs as a preHandler so the key is already authenticated; a limit of 0 turns it off.
 */
export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute <= 0) return;
  await app.register(rateLimit, {
    global: true,
    max: perMinute,
    timeWindow: 60_000,
    hook: 'preHandler',
    keyGenerator: (req) => req.principal?.keyId ?? req.ip,
    allowList: (req) => READS.has(req.method),
  });
}
