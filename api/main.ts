// The API on its own (production: behind a load balancer, scaled independently of workers).
import { Client, Connection } from '@temporalio/client';
import { createArtifactStore } from '../core/artifacts/index.js';
import { dbTarget, openDb } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { FileLogStore } from '../core/logs/index.js';
import { join } from 'node:path';
import { runEntryPoint } from '../workers/startup.js';
import { openTracing } from '../core/telemetry/index.js';
import { buildServer, listen } from './server.js';

void runEntryPoint({ name: 'sluice-api', role: 'a standalone API', split: true }, async (config, say) => {
  const tracing = await openTracing(config, 'sluice-api');
  if (tracing) say(`tracing to ${tracing.tracesUrl} as ${tracing.serviceName}`);
  const db = await openDb(dbTarget(config));
  await migrateToLatest(db);
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
  });
  const server = await buildServer({
    config,
    db,
    temporal,
    artifacts: createArtifactStore(config.artifacts),
    logs: new FileLogStore(join(config.dataDir, 'logs', 'steps')),
    tracing,
  });
  const url = await listen(server, config.api.host, config.api.port);
  say(`listening on ${url}`);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(
      sig,
      () =>
        void server
          .close()
          .then(() => connection.close())
          .then(() => db.destroy())
          .then(() => tracing?.shutdown())
          .then(() => process.exit(0)),
    );
  }
});
