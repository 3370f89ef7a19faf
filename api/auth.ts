import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { findKeyBySecret, hashKey, roleRank } from '../core/access/keys.js';
import { appendEvent, type AuditEvent } from '../core/access/events.js';
import type { ApiKeyRow, Role } from '../core/db/tables/access.js';
import { ForbiddenError, UnauthorizedError } from '../core/errors.js';

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role a route needs; 'public' needs no key. Routes without it need admin (fail closed). */
    role?: Role | 'public';
  }
  interface FastifyRequest {
    principal?: Principal;
    /** Appends an audit event by the calling key, with this request's id. */
    audit(e: Omit<AuditEvent, 'actor' | 'requestId'>): Promise<void>;
  }
  interface FastifyInstance {
    /** Forget cached key look-ups (after a revocation). */
    forgetKeys(): void;
  }
}

/** Verified keys are cached briefly: a key look-up per request would cap read throughput. */
const CACHE_TTL_MS = 5_000;

export const auth = fp(async (app: FastifyInstance) => {
  const cache = new Map<string, { row: ApiKeyRow | undefined; at: number }>();
  app.decorate('forgetKeys', () => cache.clear());

  const lookup = async (secret: string) => {
    const h = hashKey(secret);
    const hit = cache.get(h);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.row;
    const row = await findKeyBySecret(app.deps.db, secret);
    if (cache.size > 10_000) cache.clear();
    cache.set(h, { row, at: Date.now() });
    return row;
  };

  app.decorateRequest('principal', undefined);
  app.decorateRequest('audit', async function (this: FastifyRequest, e: Omit<AuditEvent, 'actor' | 'requestId'>) {
    await appendEvent(app.deps.db, { ...e, actor: this.principal?.name ?? 'anonymous', requestId: String(this.id) });
  });

  app.addHook('onRequest', async (req) => {
    if (req.is404) return;
    // The interactive docs' own routes come from @fastify/swagger-ui and carry no route config.
    const required = req.url.startsWith('/docs') ? 'public' : (req.routeOptions.config?.role ?? 'admin');
    if (required === 'public') return;
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new UnauthorizedError('missing API key: send "Authorization: Bearer <key>"');
    const row = await lookup(match[1]!);
    if (!row) throw new UnauthorizedError('unknown API key');
    if (row.revoked_at) throw new UnauthorizedError(`API key ${row.id} was revoked`);
    if (row.expires_at && row.expires_at.getTime() <= Date.now()) throw new UnauthorizedError(`API key ${row.id} expired`);
    req.principal = { keyId: row.id, name: row.name, role: row.role };
    if (roleRank(row.role) < roleRank(required)) {
      throw new ForbiddenError(`this needs the ${required} role; key ${row.id} has ${row.role}`);
    }
  });
}, { name: 'sluice-auth' });
