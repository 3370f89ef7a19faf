// The API on its own (production: behind a load balancer, scaled independently of workers).
import { Client, Connection } from '@temporalio/client';
import { createArtifactStore } from '../core/artifacts/index.js';
import { ConfigError, loadConfig } from '../core/config.js';
import { dbTarget, openDb } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { FileLogStore } from '../core/logs/index.js';
import { join } from 'node:path';
import { buildServer, listen } from './server.js';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.temporal.address) throw new ConfigError('SLUICE_TEMPORAL_ADDRESS is required for a standalone API (host:port of Temporal)');
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required for a standalone API (postgres://…)');
  const db = await openDb(dbTarget(config));
  await migrateToLatest(db);
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const server = await buildServer({
    config, db, temporal, artifacts: createArtifactStore(config.artifacts),
    logs: new FileLogStore(join(config.dataDir, 'logs', 'steps')),
  });
  const url = await listen(server, config.api.host, config.api.port);
  process.stdout.write(`[sluice-api] listening on ${url}\n`);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => void server.close().then(() => connection.close()).then(() => db.destroy()).then(() => process.exit(0)));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[sluice-api] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
