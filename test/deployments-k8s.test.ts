import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startInstanceActivity } from '../activities/deployments/instances.js';
import { servingObjectName } from '../activities/deployments/kubernetes-objects.js';
import { LocalArtifactStore } from '../core/artifacts/local.js';
import { loadConfig } from '../core/config.js';
import { deploymentWorkflowId } from '../core/deployments/contract.js';
import { getRollout } from '../core/deployments/rollouts.js';
import { getRoutes } from '../core/deployments/routes.js';
import { applyDeployment, type DeploymentsContext } from '../core/deployments/service.js';
import { deploymentSpecSchema } from '../core/deployments/spec.js';
import { OPEN_POLICY } from '../core/policy/schema.js';
import { requireVersion } from '../core/registry/models/versions-read.js';
import { kubernetesServing } from '../workers/executors.js';
import { createApi, expectProblem, type ApiHarness } from './support/api.js';
import { currentSchema, dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { registerFixtureVersions, rolloutDone } from './support/deployments.js';
import { tester } from './support/registry-fixtures.js';
import { quietSdkLogger } from './support/temporal-runtime.js';
import { createHarness, type Harness } from './support/harness.js';
import { K8S_TEST_NAMESPACE, workerKubeconfigPath } from './support/k8s.js';
import { deleteServingObjects, prepareServingCluster, servedVersions, servingObjects } from './support/k8s-serving.js';
import { testServices, uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';
import { spawnWorkerProcess } from './support/worker-process.js';

// Model servers on the local Kubernetes cluster (server.executor: kubernetes): a Deployment and a
// Service per model version, created with the worker's ServiceAccount (deploy/k8s/worker-rbac.yaml),
// the image sluice/sklearn:1 imported into the cluster's containerd, the server the stdlib fixture
// passed with -c. The cluster has no kube-proxy and no DNS, so the servers are reached the node-local
// way (SLUICE_K8S_SERVING_ADDRESS=node-loopback): hostNetwork pods on a free 127.0.0.1 port.

const SCRIPT = readFileSync(new URL('./fixtures/model-server.py', import.meta.url), 'utf8');
const K8S_ENV = {
  SLUICE_K8S_KUBECONFIG: workerKubeconfigPath,
  SLUICE_K8S_NAMESPACE: K8S_TEST_NAMESPACE,
  SLUICE_K8S_SERVING_ADDRESS: 'node-loopback',
  SLUICE_POLICY_EXECUTORS: 'docker,process,kubernetes',
};

function serverSpec(name: string, model: string, env: Record<string, string> = {}) {
  return {
    name,
    model,
    server: {
      executor: 'kubernetes' as const,
      image: testServices.images.sklearn,
      command: ['python3', '-c', SCRIPT],
      env,
      resources: { cpu: 0.5, memory: '256Mi' },
      readyTimeoutSeconds: 90,
    },
    smoke: { rows: [{ a: 1, b: 2 }] },
  };
}

describe('deployments served from Kubernetes', () => {
  let h: Harness;
  let api: ApiHarness;
  const model = uniqueId('kserve').toLowerCase();
  const name = uniqueId('kserve').toLowerCase().slice(0, 40);

  beforeAll(async () => {
    await prepareServingCluster(testServices.images.sklearn);
    h = await createHarness();
    // The worker's serving as workers/ builds it from the configuration, with the step policy's user.
    const config = loadConfig({ SLUICE_DATA_DIR: h.dir, ...K8S_ENV });
    await h.startInProcessWorker({ kubernetesServing: kubernetesServing(config.executor, OPEN_POLICY)! });
    api = await createApi(h, K8S_ENV);
  }, 600_000);

  afterAll(async () => {
    await h?.client.workflow
      .getHandle(deploymentWorkflowId(name))
      .terminate('test over')
      .catch(() => undefined);
    await deleteServingObjects(name);
    await h?.close();
  }, 120_000);

  const spec = (env: Record<string, string> = {}) => serverSpec(name, model, env);
  const deploy = async (version: number, env: Record<string, string> = {}) => {
    const res = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      payload: { spec: spec(env), version },
    });
    expect(res.statusCode, res.body).toBe(202);
    return rolloutDone(h.db, (res.json() as { rolloutId: string }).rolloutId, 240_000);
  };
  const versionsGone = (keep: string[]) =>
    waitFor(
      `only versions ${keep.join(',')} of ${name} left on the cluster`,
      async () => JSON.stringify(await servedVersions(name)) === JSON.stringify(keep),
      120_000,
    );

  it('rolls out a Deployment and Service, serves the gateway what the server predicts, rolls back one naming another version', async () => {
    await registerFixtureVersions(h.deps, model, 2);
    const first = await deploy(1);
    expect(first.status, first.reason ?? '').toBe('succeeded');

    const { deployments, services, pods } = await servingObjects(name);
    expect(deployments.map((d) => d.metadata!.name)).toEqual([servingObjectName(name, 1)]);
    expect(services.map((s) => s.metadata!.name)).toEqual([servingObjectName(name, 1)]);
    const pod = deployments[0]!.spec!.template.spec!;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.securityContext).toMatchObject({ runAsUser: 65534, runAsNonRoot: true });
    expect(pod.containers[0]!.readinessProbe!.httpGet).toMatchObject({ path: '/ready', host: '127.0.0.1' });
    expect(pod.containers[0]!.resources).toMatchObject({ limits: { cpu: '500m', memory: String(256 * 1024 ** 2) } });
    expect(pods).not.toHaveLength(0);
    // The rollout gates on its own /ready check; the kubelet's probe reports Ready on its next period.
    await waitFor('the pod Ready by its readiness probe', async () =>
      (await servingObjects(name)).pods.some((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ),
    );

    const [route] = await getRoutes(h.db, name);
    expect(route).toMatchObject({ version: 1, weight: 100, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    const rows = [{ a: 2, b: 3 }, { a: 10 }];
    const own = await fetch(`${route!.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows }),
    }).then((r) => r.json() as Promise<{ predictions: unknown[] }>);
    const predicted = await api.call('viewer', {
      method: 'POST',
      url: `/v1/deployments/${name}/predict`,
      payload: { rows },
    });
    expect(predicted.statusCode, predicted.body).toBe(200);
    expect(predicted.json()).toMatchObject({ predictions: own.predictions, version: 1 });
    expect(own.predictions).toEqual([1005, 1010]);

    // Version 2's server says it loaded version 3: rolled back, its Deployment and Service deleted, v1 serving.
    const second = await deploy(2, { FIXTURE_MODE: 'wrong-version' });
    expect(second.status).toBe('rolled-back');
    expect(second.reason).toMatch(/names version 3, expected 2/);
    await versionsGone(['1']);
    expect((await getRoutes(h.db, name)).map((r) => [r.version, r.weight])).toEqual([[1, 100]]);

    // The pod's output, through the API.
    const logs = await waitFor('the server output in the instance log', async () => {
      const res = await api.call('viewer', { method: 'GET', url: `/v1/deployments/${name}/logs?tail=20` });
      return /fixture model server v1 \(normal\) in a container on 127\.0\.0\.1:\d+/.test(res.body) && res;
    });
    expect(logs.statusCode).toBe(200);
  }, 600_000);

  it('replaces the version, then rolls back to the previous one through the same gates', async () => {
    const second = await deploy(2);
    expect(second.status, second.reason ?? '').toBe('succeeded');
    await versionsGone(['2']);

    const res = await api.call('operator', { method: 'POST', url: `/v1/deployments/${name}/rollback` });
    expect(res.statusCode, res.body).toBe(202);
    const back = await rolloutDone(h.db, (res.json() as { rolloutId: string }).rolloutId, 240_000);
    expect(back.status, back.reason ?? '').toBe('succeeded');
    expect(back.kind).toBe('rollback');
    await versionsGone(['1']);
    const predicted = await api.call('viewer', {
      method: 'POST',
      url: `/v1/deployments/${name}/predict`,
      payload: { rows: [{ a: 1 }] },
    });
    expect(predicted.json()).toMatchObject({ predictions: [1001], version: 1 });
  }, 600_000);

  it('a server that cannot start fails its readiness with the pod reason and leaves nothing behind', async () => {
    const other = `${name}-x`.slice(0, 60);
    const res = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      payload: {
        spec: {
          ...spec(),
          name: other,
          server: { ...spec().server, command: ['python3', '-c', 'raise SystemExit(3)'] },
        },
        version: 1,
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    try {
      const r = await rolloutDone(h.db, (res.json() as { rolloutId: string }).rolloutId, 240_000);
      expect(r.status).toBe('rolled-back');
      expect(r.reason).toMatch(/readiness: the server exited with code 3/);
      await waitFor(
        'nothing of the failed server left',
        async () => (await servedVersions(other)).length === 0,
        120_000,
      );
    } finally {
      await h.client.workflow
        .getHandle(deploymentWorkflowId(other))
        .terminate('test over')
        .catch(() => undefined);
      await deleteServingObjects(other);
    }
  }, 400_000);

  it('refuses kubernetes servers the installation cannot run, naming the field', async () => {
    const body = { spec: spec(), version: 1 };
    const noCluster = await createApi(h, { SLUICE_POLICY_EXECUTORS: 'docker,process,kubernetes' });
    const unconfigured = await noCluster.call('operator', { method: 'POST', url: '/v1/deployments', payload: body });
    expect(expectProblem(unconfigured, 400, '$.spec.server.executor').detail).toMatch(/Kubernetes cluster/);

    const narrow = await createApi(h, { ...K8S_ENV, SLUICE_POLICY_EXECUTORS: 'docker,process' });
    const refused = await narrow.call('operator', { method: 'POST', url: '/v1/deployments', payload: body });
    expect(expectProblem(refused, 400, '$.spec.server.executor')).toMatchObject({
      type: expect.stringMatching(/policy-violation$/),
    });

    const noImage = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      payload: { spec: { ...spec(), server: { ...spec().server, image: undefined } } },
    });
    expectProblem(noImage, 400, '$.spec.server.image');
  });
});

function stopWorker(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

describe('deployments on Kubernetes: the worker SIGKILLed mid-rollout', () => {
  let h: Harness;
  let pg: OpenedDb;
  let worker: ChildProcess | undefined;
  const model = uniqueId('kdurable').toLowerCase();
  const name = uniqueId('kdurable').toLowerCase().slice(0, 40);

  beforeAll(async () => {
    await prepareServingCluster(testServices.images.sklearn);
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
    h = await createHarness({ db: pg.db });
  }, 600_000);
  afterAll(async () => {
    await stopWorker(worker);
    await h?.client.workflow
      .getHandle(deploymentWorkflowId(name))
      .terminate('test over')
      .catch(() => undefined);
    await deleteServingObjects(name);
    await h?.close();
    await pg?.close();
  }, 120_000);

  it('adopts the Deployment it created (never a second one) and ends in one consistent outcome', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-kserve-durable-'));
    const env = {
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: await currentSchema(pg.db),
      SLUICE_DATA_DIR: dataDir,
      ...K8S_ENV,
    };
    const artifacts = new LocalArtifactStore(join(dataDir, 'artifacts'));
    await registerFixtureVersions({ db: pg.db, artifacts }, model, 2);
    const ctx: DeploymentsContext = { db: pg.db, temporal: h.client, taskQueue: h.taskQueue };
    worker = await spawnWorkerProcess(env);

    const base = serverSpec(name, model);
    const first = await applyDeployment(ctx, deploymentSpecSchema.parse(base), 1, tester);
    expect((await rolloutDone(pg.db, first.accepted.rolloutId!, 240_000)).status).toBe('succeeded');

    // Version 2 takes 8 s to load: the worker dies while the rollout waits for its readiness.
    const slow = { ...base, server: { ...base.server, env: { FIXTURE_READY_AFTER_MS: '8000' } } };
    const second = await applyDeployment(ctx, deploymentSpecSchema.parse(slow), 2, tester);
    const id = second.accepted.rolloutId!;
    await waitFor(
      'the new instance to start',
      async () => (await getRollout(pg.db, id))?.timeline.some((t) => t.step === 'started'),
      120_000,
    );
    const uidOf = async (version: number) =>
      (await servingObjects(name)).deployments.find((d) => d.metadata!.name === servingObjectName(name, version))
        ?.metadata!.uid;
    const v2 = await uidOf(2);
    expect(v2).toBeDefined();
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.once('exit', r));

    worker = await spawnWorkerProcess(env);
    const done = await rolloutDone(pg.db, id, 240_000);
    expect(done.status, done.reason ?? '').toBe('succeeded');
    expect(done.timeline.filter((t) => t.step === 'started')).toHaveLength(1);
    // The Deployment created before the kill is the one that serves; v1's objects are deleted.
    expect(await uidOf(2)).toBe(v2);
    await waitFor('only version 2 on the cluster', async () => (await servedVersions(name)).join() === '2', 120_000);
    expect((await getRoutes(pg.db, name)).map((r) => [r.version, r.weight])).toEqual([[2, 100]]);
    expect((await requireVersion(pg.db, model, { alias: 'production' })).version).toBe(2);

    // A start retried after its worker died (the activity itself) finds the objects by name and adopts them.
    const config = loadConfig(env);
    const start = startInstanceActivity({
      ...h.deps,
      db: pg.db,
      artifacts,
      workRoot: join(dataDir, 'work'),
      kubernetesServing: kubernetesServing(config.executor, OPEN_POLICY)!,
    });
    const again = await new MockActivityEnvironment({}, { logger: quietSdkLogger }).run(start, {
      deployment: name,
      model,
      version: 2,
      server: deploymentSpecSchema.parse(slow).server,
    });
    const [route] = await getRoutes(pg.db, name);
    expect(again).toMatchObject({ adopted: true, executor: 'kubernetes', url: route!.url });
    expect(await uidOf(2)).toBe(v2);
  }, 600_000);
});
