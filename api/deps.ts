import type { Client } from '@temporalio/client';
import type { Config } from '../core/config.js';
import type { ArtifactStore } from '../core/artifacts/store.js';
import type { Db } from '../core/db/connect.js';
import type { LogStore } from '../core/logs/store.js';

/** The shared clients every route uses; built by the composition root (workers/). */
export interface AppDeps {
  config: Readonly<Config>;
  db: Db;
  temporal: Client;
  artifacts: ArtifactStore;
  logs: LogStore;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps;
  }
}
