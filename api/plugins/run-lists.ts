import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CHANGE_CHANNELS, watchTableChanges } from '../../core/db/table-changes.js';
import { RunListCache } from '../../core/runs/list-cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Serialised run-list pages, dropped on every committed write to runs (see RunListCache). */
    runLists: RunListCache;
  }
}

/** The run list is what dashboards poll: its pages are cached until the runs table changes. */
export const runLists = fp(
  async (app: FastifyInstance) => {
    const cache = new RunListCache(() => feed.up);
    const feed = await watchTableChanges(
      app.db,
      CHANGE_CHANNELS.runs,
      app.config.databaseUrl,
      () => cache.invalidate(),
      (err) => app.log.warn({ err }, 'run change feed lost; run lists read the database until it reconnects'),
    );
    app.decorate('runLists', cache);
    app.addHook('onClose', async () => feed.stop());
  },
  { name: 'sluice-run-lists', dependencies: ['sluice-clients'] },
);
