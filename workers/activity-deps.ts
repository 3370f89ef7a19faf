import { join } from 'node:path';
import type { ActivityDeps } from '../activities/deps.js';
import { createArtifactStore } from '../core/artifacts/index.js';
import type { Config } from '../core/config.js';
import type { Db } from '../core/db/connect.js';
import { FileLogStore } from '../core/logs/index.js';
import type { StepPolicy } from '../core/policy/schema.js';
import { registryResolvers } from '../core/registry/resolvers.js';
import { buildExecutors, kubernetesServing } from './executors.js';

/** What activities need, from config: one place for the embedded stack and the worker process. */
export async function buildActivityDeps(config: Readonly<Config>, db: Db, policy: StepPolicy): Promise<ActivityDeps> {
  const artifacts = createArtifactStore(config.artifacts);
  const serving = kubernetesServing(config.executor, policy);
  return {
    db,
    artifacts,
    logs: new FileLogStore(join(config.dataDir, 'logs', 'steps')),
    ...(await buildExecutors(config.executor, policy, { toolsDir: config.toolsDir, artifacts })),
    policy,
    workRoot: join(config.dataDir, 'work'),
    resolvers: registryResolvers(db),
    ingest: config.ingest,
    toolsDir: config.toolsDir,
    ...(serving ? { kubernetesServing: serving } : {}),
  };
}
