import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../../core/errors.js';
import type { RunContext } from '../../core/runs/context.js';
import { Lru } from '../../core/util/lru.js';
import { SpecCache } from '../../core/runs/specs.js';
import { eventRoutes } from './events.js';
import { keyRoutes } from './keys.js';
import { pipelineRoutes } from './pipelines.js';
import { runLogRoutes } from './run-logs.js';
import { runRoutes } from './runs.js';
import { scheduleRoutes } from './schedules.js';

/** About 2 KB each: a few tens of MB at most. */
const FINISHED_RUNS_CACHED = 10_000;

/** Everything under /v1: pipelines, runs (+ logs), schedules, events and keys. */
export async function v1Routes(app: FastifyInstance): Promise<void> {
  const { db, temporal, config } = app.deps;
  const ctx: RunContext = {
    db, temporal, taskQueue: config.temporal.taskQueue, specs: new SpecCache(db), finished: new Lru(FINISHED_RUNS_CACHED),
  };
  // 5xx domain errors (e.g. Temporal refusing a start) reach the client without their cause: log it here.
  app.addHook('onError', async (req, _reply, err) => {
    if (err instanceof SluiceError && err.status >= 500) req.log.error({ err, cause: err.cause }, err.message);
  });
  await app.register(pipelineRoutes);
  await app.register(runRoutes, { ctx });
  await app.register(runLogRoutes, { ctx });
  await app.register(scheduleRoutes, { ctx });
  await app.register(eventRoutes);
  await app.register(keyRoutes);
}
