import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LocalArtifactStore } from '../core/artifacts/local.js';
import { getRollout } from '../core/deployments/rollouts.js';
import { getRoutes } from '../core/deployments/routes.js';
import { applyDeployment, type DeploymentsContext } from '../core/deployments/service.js';
import { deploymentSpecSchema } from '../core/deployments/spec.js';
import { requireVersion } from '../core/registry/models/versions-read.js';
import { currentSchema, dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import {
  fixtureSpec,
  registerFixtureVersions,
  rolloutDone,
  servingPids,
  tearDownDeployment,
} from './support/deployments.js';
import { createHarness, type Harness } from './support/harness.js';
import { testServices } from './support/services.js';
import { tester } from './support/registry-fixtures.js';
import { waitFor } from './support/wait.js';
import { spawnWorkerProcess } from './support/worker-process.js';

const MODEL = 'durable-fixture';

function stopWorker(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

describe('deployments: the worker SIGKILLed mid-rollout', () => {
  let h: Harness;
  let pg: OpenedDb;
  let worker: ChildProcess | undefined;
  const name = `durable-dep-${process.pid}`;
  beforeAll(async () => {
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
    h = await createHarness({ db: pg.db });
  });
  afterAll(async () => {
    await stopWorker(worker);
    if (h) await tearDownDeployment(h.client, name);
    await waitFor('no serving process left', async () => (await servingPids(name)).length === 0);
    await h?.close();
    await pg?.close();
  });

  it('re-adopts the instance it started (never a second one) and ends in one consistent outcome', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-deploy-durable-'));
    const schema = await currentSchema(pg.db);
    const env = {
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: schema,
      SLUICE_DATA_DIR: dataDir,
      SLUICE_EXECUTOR: 'process',
      // A split worker allows no local processes unless told: its model server is one. It runs as this
      // (root) test process: the temp data dir is 0700, out of reach of the step policy's user.
      SLUICE_POLICY_EXECUTORS: 'docker,process',
      SLUICE_POLICY_ALLOW_ROOT: 'true',
    };
    // The worker's own artifact store (its data dir), where the registered versions' bytes must be.
    await registerFixtureVersions(
      { db: pg.db, artifacts: new LocalArtifactStore(join(dataDir, 'artifacts')) },
      MODEL,
      2,
    );
    const ctx: DeploymentsContext = { db: pg.db, temporal: h.client, taskQueue: h.taskQueue };
    worker = await spawnWorkerProcess(env);

    const base = fixtureSpec(name, MODEL);
    const first = await applyDeployment(ctx, deploymentSpecSchema.parse(base), 1, tester);
    const firstDone = await rolloutDone(pg.db, first.accepted.rolloutId!);
    expect(firstDone.status, firstDone.reason ?? '').toBe('succeeded');
    const [v1Pid] = await servingPids(name);

    // Version 2 takes 4 s to load: the worker dies while the rollout waits for its readiness.
    const slow = { ...base, server: { ...base.server, env: { FIXTURE_READY_AFTER_MS: '4000' } } };
    const second = await applyDeployment(ctx, deploymentSpecSchema.parse(slow), 2, tester);
    const id = second.accepted.rolloutId!;
    await waitFor('the new instance to start', async () =>
      (await getRollout(pg.db, id))?.timeline.some((t) => t.step === 'started'),
    );
    const before = await servingPids(name);
    expect(before).toHaveLength(2);
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.once('exit', r));

    worker = await spawnWorkerProcess(env);
    const done = await rolloutDone(pg.db, id, 120_000);
    expect(done.status, done.reason ?? '').toBe('succeeded');
    expect(done.timeline.filter((t) => t.step === 'started')).toHaveLength(1);
    // The v2 server started before the kill is the one that serves: adopted, not doubled; v1 is stopped.
    await waitFor('v1 to stop', async () => !(await servingPids(name)).includes(v1Pid!));
    const after = await servingPids(name);
    expect(after).toHaveLength(1);
    expect(before).toContain(after[0]);
    expect((await getRoutes(pg.db, name)).map((r) => [r.version, r.weight])).toEqual([[2, 100]]);
    expect((await requireVersion(pg.db, MODEL, { alias: 'production' })).version).toBe(2);
  }, 180_000);
});
