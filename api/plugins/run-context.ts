import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { RunContext } from '../../core/runs/context.js';
import { SpecCache } from '../../core/runs/specs.js';
import { Lru } from '../../core/util/lru.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** What starting, inspecting and scheduling runs needs. */
    runContext: RunContext;
  }
}

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
  },
  { name: 'sluice-run-context', dependencies: ['sluice-clients'] },
);
