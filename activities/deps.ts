import type { ArtifactStore } from '../core/artifacts/store.js';
import type { Db } from '../core/db/connect.js';
import type { LogStore } from '../core/logs/store.js';
import type { ExecutorName } from '../core/pipeline/schema.js';
import type { StepPolicy } from '../core/policy/schema.js';
import type { UriResolver } from '../core/registry/resolvers.js';
import type { KubernetesServing } from './deployments/kubernetes-instance.js';
import type { Executor } from './executors/types.js';
import type { StoreRetry } from './patience.js';

export interface ActivityDeps {
  db: Db;
  artifacts: ArtifactStore;
  logs: LogStore;
  /** Executors by name; `defaultExecutor` runs steps without an override. */
  executors: Partial<Record<ExecutorName, Executor>>;
  defaultExecutor: ExecutorName;
  /** Checked again before each step runs: a pipeline applied under a looser policy fails here. */
  policy: StepPolicy;
  /** Per-step working directories live under here (same path across attempts). */
  workRoot: string;
  /** Extra URI schemes, by prefix (`models:/`, `datasets:/`). */
  resolvers?: Record<string, UriResolver>;
  /** Backoff for storing a finished step's outputs (DEFAULT_STORE_RETRY when absent). */
  storeRetry?: StoreRetry;
  /** Where Python environments are built (the process executor's); the default tools directory when absent. */
  toolsDir?: string;
  /** Where ingest steps may read: absolute directories (file: sources) and HTTP hosts; none when absent. */
  ingest?: { roots: readonly string[]; hosts: readonly string[] };
  /** Model servers as Deployments and Services (server.executor kubernetes), when a cluster is configured. */
  kubernetesServing?: KubernetesServing;
}
