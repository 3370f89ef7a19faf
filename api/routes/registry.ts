import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { listenForRegistryChanges } from '../../core/registry/change-feed.js';
import { VersionCache } from '../../core/registry/models/version-cache.js';
import { datasetRoutes } from './datasets.js';
import { lineageRoutes } from './lineage.js';
import { modelAliasRoutes } from './model-aliases.js';
import { modelVersionRoutes } from './model-versions.js';
import { modelRoutes } from './models.js';
import { MAX_UPLOAD_BYTES } from './registry-http.js';
import { registryUploadRoutes } from './registry-uploads.js';

/**
 * The model registry, datasets and lineage, under /v1. Multipart parsing is registered only here
 * (uploads stream to the artifact store); app.ts puts one per-key write limit over all of /v1.
 * Version reads go through a cache that PostgreSQL's change feed keeps exact across processes;
 * without DATABASE_URL the database is embedded PGlite, which only this process writes.
 */
export async function registryRoutes(app: FastifyInstance): Promise<void> {
  const { db, config } = app.deps;
  const feed = config.databaseUrl
    ? listenForRegistryChanges(config.databaseUrl, (err) => app.log.warn({ err }, 'registry change feed lost; version cache bypassed until it reconnects'))
    : undefined;
  const cache = new VersionCache(db, () => feed?.up ?? true);
  app.addHook('onClose', async () => {
    cache.close();
    await feed?.stop();
  });
  await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES } });
  await app.register(modelRoutes);
  await app.register(modelVersionRoutes, { cache });
  await app.register(modelAliasRoutes, { cache });
  await app.register(registryUploadRoutes);
  await app.register(datasetRoutes);
  await app.register(lineageRoutes);
}
