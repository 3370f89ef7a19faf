import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { listenForRegistryChanges } from '../../core/registry/change-feed.js';
import { VersionCache } from '../../core/registry/models/version-cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Model versions by number or alias, kept exact by the registry's change feed. */
    versionCache: VersionCache;
  }
}

/**
 * Version reads go through a cache that PostgreSQL's change feed keeps exact across processes;
 * without DATABASE_URL the database is embedded PGlite, which only this process writes. While
 * the feed is down the cache is bypassed; both close with the app.
 */
export const registryVersions = fp(
  async (app: FastifyInstance) => {
    const { databaseUrl } = app.config;
    const feed = databaseUrl
      ? listenForRegistryChanges(databaseUrl, (err) =>
          app.log.warn({ err }, 'registry change feed lost; version cache bypassed until it reconnects'),
        )
      : undefined;
    const cache = new VersionCache(app.db, () => feed?.up ?? true);
    app.decorate('versionCache', cache);
    app.addHook('onClose', async () => {
      cache.close();
      await feed?.stop();
    });
  },
  { name: 'sluice-registry-versions', dependencies: ['sluice-clients'] },
);
