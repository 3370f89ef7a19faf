import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Actor } from '../../core/access/audit.js';
import { KeyCheck, requireRole, type Principal } from '../../core/access/key-check.js';
import { requireScopedRoute, type ScopeKind } from '../../core/access/scope.js';
import type { Role } from '../../core/db/tables/access.js';
import { UnauthorizedError } from '../../core/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role a route needs; 'public' needs no key. Routes without it need admin (fail closed). */
    role?: Role | 'public';
    /** What a key scoped for it may do here (core/access/scope.ts); routes without it refuse scoped keys. */
    scoped?: ScopeKind;
  }
  interface FastifyRequest {
    principal?: Principal;
    /** Who makes a change through this request: the calling key's name, with the request id. */
    readonly actor: Actor;
  }
  interface FastifyInstance {
    /** Forget cached key look-ups (after a revocation). */
    forgetKeys(): void;
  }
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** Bearer API keys on every route, checked against the role the route declares in `config.role`. */
export const auth = fp(
  async (app: FastifyInstance) => {
    const keys = new KeyCheck(app.db);
    app.decorate('forgetKeys', () => keys.forget());
    app.decorateRequest('principal', undefined);
    app.decorateRequest('actor', {
      getter(this: FastifyRequest): Actor {
        return { actor: this.principal?.name ?? 'anonymous', requestId: String(this.id) };
      },
    });

    app.addHook('onRequest', async (req) => {
      if (req.is404) return;
      const { config } = req.routeOptions;
      // The interactive docs' own routes come from @fastify/swagger-ui and carry no route config.
      const required = req.url.startsWith('/docs') ? 'public' : (config?.role ?? 'admin');
      if (required === 'public') return;
      const header = req.headers.authorization;
      const match = header ? BEARER.exec(header) : null;
      if (!match) throw new UnauthorizedError('missing API key: send "Authorization: Bearer <key>"');
      req.principal = keys.cached(match[1]!) ?? (await keys.principal(match[1]!));
      // A scoped key is refused by what it is for, before its (viewer) role is weighed.
      requireScopedRoute(req.principal.keyId, req.principal.scope, config?.scoped);
      requireRole(req.principal, required);
    });
  },
  { name: 'sluice-auth', dependencies: ['sluice-clients'] },
);
