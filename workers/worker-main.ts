// A pipeline worker on its own (production: scale these independently of the API).
// Needs SLUICE_TEMPORAL_ADDRESS and DATABASE_URL: PGlite can't be shared between processes.
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../core/config.js';
import { dbTarget, openDb } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { buildActivityDeps } from './activity-deps.js';
import { createWorker } from './worker.js';

const say = (m: string) => process.stdout.write(`[sluice-worker] ${m}\n`);

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporal.address) throw new ConfigError('SLUICE_TEMPORAL_ADDRESS is required for a standalone worker (host:port of Temporal)');
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required for a standalone worker (postgres://…)');
  Runtime.install({ logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'WARN') });
  const db = await openDb({ ...dbTarget(config), asyncCommit: true });
  await migrateToLatest(db);
  const deps = await buildActivityDeps(config, db);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createWorker({
    connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue,
    maxConcurrentActivities: config.workerConcurrency, deps,
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => worker.shutdown());
  say(`worker ready: task queue ${config.temporal.taskQueue}, executor ${deps.defaultExecutor}, pid ${process.pid}`);
  await worker.run();
  await connection.close();
  await db.destroy();
  say('stopped');
}

main().catch((err: unknown) => {
  process.stderr.write(`[sluice-worker] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
