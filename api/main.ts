// The API on its own (production: behind a load balancer, scaled independently of workers).
import { Client, Connection } from '@temporalio/client';
import { createArtifactStore } from '../core/artifacts/index.js';
import { dbTarget, openDb } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { FileLogStore } from '../core/logs/index.js';
import { join } from 'node:path';
import { runEntryPoint } from '../workers/startup.js';
import { buildServer, listen } from './server.js';

void runEntryPoint({ name: 'sluice-api', role: 'a standalone API', split: true }, async (config, say) => {
  const db = await openDb(dbTarget(config));
  await migrateToLatest(db);
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const server = await buildServer({
    config,
    db,
    temporal,
    artifacts: createArtifactStore(config.artifacts),
    logs: new FileLogStore(join(config.dataDir, 'logs', 'steps')),
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
          .then(() => process.exit(0)),
    );
  }
});
