import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { getRollout, type Rollout } from '../../core/deployments/rollouts.js';
import { deploymentWorkflowId } from '../../core/deployments/contract.js';
import type { DeploymentSpecInput } from '../../core/deployments/spec.js';
import type { Db } from '../../core/db/connect.js';
import type { ArtifactStore } from '../../core/artifacts/store.js';
import { registerModelVersion } from '../../core/registry/models/register.js';
import { processesWithEnv } from '../../activities/executors/process-group.js';
import { tester } from './registry-fixtures.js';
import { waitFor } from './wait.js';

export const modelServerFixture = fileURLToPath(new URL('../fixtures/model-server.mjs', import.meta.url));

/** Registers `count` versions of `model`, each a small text file (what the fixture server reads). */
export async function registerFixtureVersions(
  deps: { db: Db; artifacts: ArtifactStore },
  model: string,
  count: number,
) {
  const dir = await mkdtemp(join((await import('node:os')).tmpdir(), 'sluice-model-'));
  for (let v = 1; v <= count; v++) {
    const file = join(dir, `v${v}.txt`);
    await writeFile(file, `weights of ${model} v${v}\n`);
    const ref = await deps.artifacts.putPath(file);
    await registerModelVersion(deps, model, { artifactUri: ref.uri, format: 'custom' }, tester);
  }
}

/** A spec serving the fixture server with per-version FIXTURE_MODE (normal unless given). */
export function fixtureSpec(
  name: string,
  model: string,
  extra: Partial<DeploymentSpecInput> = {},
): DeploymentSpecInput {
  return {
    name,
    model,
    server: { executor: 'process', command: [process.execPath, modelServerFixture], readyTimeoutSeconds: 30 },
    smoke: { rows: [{ a: 1, b: 2 }] },
    ...extra,
  };
}

/** Waits until the rollout is recorded as finished and returns it. */
export function rolloutDone(db: Db, id: string, timeoutMs = 60_000): Promise<Rollout> {
  return waitFor(
    `rollout ${id} to finish`,
    async () => {
      const r = await getRollout(db, id);
      return r && r.status !== 'running' ? r : undefined;
    },
    timeoutMs,
  );
}

/** Pids of serving processes of a deployment (any version) still alive. */
export function servingPids(deployment: string): Promise<number[]> {
  return processesWithEnv([`SLUICE_DEPLOYMENT=${deployment}`]);
}

/** Ends a deployment's workflow and kills what it serves, for afterAll. */
export async function tearDownDeployment(client: Client, name: string): Promise<void> {
  await client.workflow
    .getHandle(deploymentWorkflowId(name))
    .terminate('test over')
    .catch(() => undefined);
  for (const pid of await servingPids(name)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}
