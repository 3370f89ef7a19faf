import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildServer, listen } from '../api/server.js';
import type { Config } from '../core/config.js';
import type { ArtifactStore } from '../core/artifacts/store.js';
import { dbTarget, openDb, type Db } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { resolveTemporalBinary } from '../core/temporal/binary.js';
import { startDevServer, type DevServer } from '../core/temporal/dev-server.js';
import { ensureSearchAttributes } from '../core/temporal/register-search-attributes.js';
import { ensureAdminKey } from '../core/access/admin-key.js';
import { resolvePolicy } from '../core/policy/schema.js';
import { buildActivityDeps } from './activity-deps.js';
import { acquireDataDirLock } from '../core/util/data-dir-lock.js';
import { openTracing } from '../core/telemetry/index.js';
import { createWorker } from './worker.js';

export type Progress = (message: string) => void;

export interface Stack {
  apiUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  /** The dev server's pid, when this stack started one. */
  temporalPid?: number;
  executor: string;
  server: FastifyInstance;
  /** The API's database and artifact store (start-up tasks such as the bundled examples use them). */
  db: Db;
  artifacts: ArtifactStore;
  stop(): Promise<void>;
  /** Ends the children this stack started (the dev server), synchronously: for a forced exit. */
  kill(): void;
}

/**
 * The embedded stack: Temporal (a dev server unless an address is configured), the metadata
 * DB (PGlite unless DATABASE_URL), migrations, a worker and the API, in this process.
 * On failure part-way, whatever was started is stopped again.
 */
export async function startStack(
  config: Readonly<Config>,
  progress: Progress,
  /** Aborted (a stop signal during start-up): what was started is stopped again, and it rejects. */
  signal?: AbortSignal,
): Promise<Stack> {
  const stops: Array<{ what: string; stop: () => Promise<unknown> }> = [];
  const onStop = (what: string, stop: () => Promise<unknown>) => stops.push({ what, stop });
  const checkpoint = () => signal?.throwIfAborted();
  const stop = async () => {
    for (const { what, stop: s } of stops.splice(0).reverse()) {
      // A part that takes long to stop says so: a stop that hangs names what it waits for.
      const slow = setTimeout(() => progress(`still stopping: waiting for ${what}`), 5_000);
      try {
        await s();
      } catch (err) {
        progress(`while stopping ${what}: ${(err as Error).message}`);
      } finally {
        clearTimeout(slow);
      }
    }
  };
  try {
    await mkdir(config.dataDir, { recursive: true });
    onStop('the data dir lock', await acquireDataDirLock(config.dataDir));
    // One provider for the API and the worker of this process; stopped last, so it sends their last spans.
    const tracing = await openTracing(config, 'sluice');
    if (tracing) {
      onStop('the trace exporter', () => tracing.shutdown());
      progress(`tracing to ${tracing.tracesUrl} as ${tracing.serviceName}`);
    }

    let temporalAddress = config.temporal.address;
    let dev: DevServer | undefined;
    if (!temporalAddress) {
      const binary = await resolveTemporalBinary({
        explicit: config.temporal.bin,
        toolsDir: config.toolsDir,
        progress,
      });
      progress(`starting Temporal dev server (history in ${join(config.dataDir, 'temporal.db')})`);
      await mkdir(join(config.dataDir, 'logs'), { recursive: true });
      dev = await startDevServer({
        binary,
        dbFile: join(config.dataDir, 'temporal.db'),
        port: config.temporal.devServerPort,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        logFile: join(config.dataDir, 'logs', 'temporal.log'),
        pidFile: join(config.dataDir, 'temporal.pid'),
      });
      onStop('the Temporal dev server', () => dev!.stop());
      temporalAddress = dev.address;
    }
    checkpoint();

    progress(
      config.databaseUrl ? 'connecting to PostgreSQL' : `opening embedded PGlite in ${join(config.dataDir, 'pglite')}`,
    );
    const db = await openDb(dbTarget(config));
    onStop('the database', () => db.destroy());
    const applied = await migrateToLatest(db);
    progress(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
    const adminKey = await ensureAdminKey(db, config.dataDir);
    progress(
      adminKey.created
        ? `created an admin API key in ${adminKey.path} (readable by you only)`
        : `admin API key: ${adminKey.path}`,
    );

    // With PostgreSQL the worker gets its own pool with asynchronous commits (see DbTarget).
    checkpoint();
    const workerDb = config.databaseUrl ? await openDb({ ...dbTarget(config), asyncCommit: true }) : db;
    if (workerDb !== db) onStop("the worker's database pool", () => workerDb.destroy());
    // One developer's machine: the process executor is allowed here unless the policy says otherwise.
    const policy = resolvePolicy(config.policy, { embedded: true });
    const deps = await buildActivityDeps(config, workerDb, policy);
    progress(`step executor: ${deps.defaultExecutor}${deps.executors.docker ? '' : ' (no Docker daemon answered)'}`);

    const connection = await Connection.connect({ address: temporalAddress });
    onStop('the Temporal client connection', () => connection.close());
    const temporal = new Client({
      connection,
      namespace: config.temporal.namespace,
      ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
    });
    if (!dev) {
      const added = await ensureSearchAttributes(connection, config.temporal.namespace);
      if (added.length) progress(`registered search attributes: ${added.join(', ')}`);
    }
    const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
    onStop("the worker's Temporal connection", () => nativeConnection.close());

    checkpoint();
    progress('bundling workflows and starting the worker');
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      maxConcurrentActivities: config.workerConcurrency,
      deps,
      tracing,
    });
    const running = worker.run();
    onStop('the worker', async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });

    checkpoint();
    const server = await buildServer({
      config,
      db,
      temporal,
      artifacts: deps.artifacts,
      logs: deps.logs,
      policy,
      tracing,
    });
    const apiUrl = await listen(server, config.api.host, config.api.port);
    onStop('the API server', () => server.close());
    checkpoint();

    return {
      apiUrl,
      temporalAddress,
      temporalUiUrl: dev?.uiUrl,
      temporalPid: dev?.pid,
      executor: deps.defaultExecutor,
      server,
      db,
      artifacts: deps.artifacts,
      stop,
      kill: () => dev?.kill(),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
