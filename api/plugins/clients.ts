import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../core/config.js';
import type { ArtifactStore } from '../../core/artifacts/store.js';
import type { Db } from '../../core/db/connect.js';
import type { LogStore } from '../../core/logs/store.js';
import { resolvePolicy, type StepPolicy } from '../../core/policy/schema.js';
import type { Tracing } from '../../core/telemetry/index.js';

/** The shared clients, built (and closed) by the composition root: workers/ or api/main.ts. */
export interface AppDeps {
  config: Readonly<Config>;
  db: Db;
  temporal: Client;
  artifacts: ArtifactStore;
  logs: LogStore;
  /** The step policy pipelines are applied under; by default the split API's (no process executor unless configured). */
  policy?: StepPolicy;
  /** OpenTelemetry tracing (a span per request), when an OTLP endpoint is configured; `temporal` then carries its interceptors. */
  tracing?: Tracing;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Readonly<Config>;
    db: Db;
    temporal: Client;
    artifacts: ArtifactStore;
    logStore: LogStore;
    policy: StepPolicy;
  }
}

/** Hands the composition root's clients to the app, one decorator each, so plugins and routes name what they use. */
export const clients = fp(
  async (app: FastifyInstance, { deps }: { deps: AppDeps }) => {
    app.decorate('config', deps.config);
    app.decorate('db', deps.db);
    app.decorate('temporal', deps.temporal);
    app.decorate('artifacts', deps.artifacts);
    app.decorate('logStore', deps.logs);
    app.decorate('policy', deps.policy ?? resolvePolicy(deps.config.policy, { embedded: false }));
  },
  { name: 'sluice-clients' },
);
