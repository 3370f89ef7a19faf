import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { RunContext } from '../../core/runs/context.js';
import { reconcilePendingRuns } from '../../core/runs/reconcile.js';
import { SpecCache } from '../../core/runs/specs.js';
import { Lru } from '../../core/util/lru.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** What starting, inspecting and scheduling runs needs. */
    runContext: RunContext;
  }
}

const RECONCILE_EVERY_MS = 60_000;

/** About 2 KB each: a few tens of MB at most. */
const FINISHED_RUNS_CACHED = 10_000;

/** The run context of the run, log and schedule routes: clients plus the spec and finished-run caches. */
export const runContext = fp(
  async (app: FastifyInstance) => {
    const { db, temporal, config } = app;
    const ctx: RunContext = {
      db,
      temporal,
      taskQueue: config.temporal.taskQueue,
      specs: new SpecCache(db),
      finished: new Lru(FINISHED_RUNS_CACHED),
    };
    app.decorate('runContext', ctx);

    // A run whose API died between its row and its workflow start is started (or failed) here.
    const reconcile = () =>
      reconcilePendingRuns(ctx).then(
        (r) => {
          if (r.started.length || r.failed.length) app.log.info(r, 'reconciled pending runs');
        },
        (err: unknown) => app.log.warn({ err }, 'reconciling pending runs failed; trying again later'),
      );
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      void reconcile();
      timer = setInterval(() => void reconcile(), RECONCILE_EVERY_MS).unref();
    });
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'sluice-run-context', dependencies: ['sluice-clients'] },
);
