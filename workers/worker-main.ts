// A pipeline worker on its own (production: scale these independently of the API).
import { NativeConnection } from '@temporalio/worker';
import { dbTarget, openDb } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { ensureSearchAttributes } from '../core/temporal/register-search-attributes.js';
import { resolvePolicy } from '../core/policy/schema.js';
import { buildActivityDeps } from './activity-deps.js';
import { runEntryPoint } from './startup.js';
import { openTracing } from '../core/telemetry/index.js';
import { createWorker } from './worker.js';

void runEntryPoint(
  { name: 'sluice-worker', role: 'a standalone worker', split: true, runsWorkers: true },
  async (config, say) => {
    const tracing = await openTracing(config, 'sluice-worker');
    if (tracing) say(`tracing to ${tracing.tracesUrl} as ${tracing.serviceName}`);
    const db = await openDb({ ...dbTarget(config), asyncCommit: true });
    await migrateToLatest(db);
    const deps = await buildActivityDeps(config, db, resolvePolicy(config.policy, { embedded: false }));
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    const added = await ensureSearchAttributes(connection, config.temporal.namespace);
    if (added.length) say(`registered search attributes: ${added.join(', ')}`);
    const worker = await createWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      maxConcurrentActivities: config.workerConcurrency,
      deps,
      tracing,
    });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => worker.shutdown());
    say(`worker ready: task queue ${config.temporal.taskQueue}, executor ${deps.defaultExecutor}, pid ${process.pid}`);
    await worker.run();
    await connection.close();
    await db.destroy();
    // The last workflow and activity spans are still in the batch: send them before exiting.
    await tracing?.shutdown();
    say('stopped');
  },
);
