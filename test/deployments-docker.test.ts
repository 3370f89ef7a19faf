import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVING_LABELS } from '../activities/deployments/docker-instance.js';
import { deploymentWorkflowId } from '../core/deployments/contract.js';
import { DEFAULT_STEP_USER, OPEN_POLICY } from '../core/policy/schema.js';
import { useApi } from './support/api.js';
import { registerFixtureVersions, rolloutDone } from './support/deployments.js';
import { testServices, uniqueId } from './support/services.js';

// Model servers in containers (server.executor: docker) on the real Docker engine: the image is the
// locally built sluice/sklearn:1 (any image with python3), the server a stdlib fixture passed with -c.
// The same health-gated rollout as process servers: ready on the exact version, smoke, routes; a
// server naming another version rolls back and its container is removed.

const SCRIPT = readFileSync(new URL('./fixtures/model-server.py', import.meta.url), 'utf8');
const docker = new Docker();

describe('deployments served from containers', () => {
  // A container server shares the host's network (the gateway reaches it on loopback): the policy allows it here.
  const api = useApi({
    worker: true,
    policy: { ...OPEN_POLICY, hostNetwork: true },
    env: { SLUICE_POLICY_HOST_NETWORK: 'true' },
  });
  const model = uniqueId('boxed').toLowerCase();
  const name = uniqueId('boxed').toLowerCase().slice(0, 40);

  const containers = async (all = false) =>
    docker.listContainers({ all, filters: { label: [`${SERVING_LABELS.deployment}=${name}`] } });

  afterAll(async () => {
    await api.h?.client.workflow
      .getHandle(deploymentWorkflowId(name))
      .terminate('test over')
      .catch(() => undefined);
    for (const c of await containers(true)) await docker.getContainer(c.Id).remove({ force: true });
  }, 60_000);

  const spec = (env: Record<string, string> = {}) => ({
    name,
    model,
    server: {
      executor: 'docker' as const,
      image: testServices.images.sklearn,
      command: ['python3', '-c', SCRIPT],
      env,
      resources: { cpu: 0.5, memory: '256Mi' },
      readyTimeoutSeconds: 60,
    },
    smoke: { rows: [{ a: 1, b: 2 }], expect: [1003] },
  });
  const deploy = async (version: number, env: Record<string, string> = {}) => {
    const res = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      payload: { spec: spec(env), version },
    });
    expect(res.statusCode, res.body).toBe(202);
    return rolloutDone(api.h.db, (res.json() as { rolloutId: string }).rolloutId, 180_000);
  };

  it('rolls out a container, serves through the gateway, and rolls back one naming another version', async () => {
    await registerFixtureVersions(api.h.deps, model, 2);
    const first = await deploy(1);
    expect(first.status, first.reason ?? '').toBe('succeeded');
    const running = await containers();
    expect(running).toHaveLength(1);
    expect(running[0]!.Labels[SERVING_LABELS.version]).toBe('1');
    expect(running[0]!.HostConfig.NetworkMode).toBe('host');
    // Not root: the step policy's user, as for steps.
    const inspected = await docker.getContainer(running[0]!.Id).inspect();
    expect(inspected.Config.User).toBe(`${DEFAULT_STEP_USER.uid}:${DEFAULT_STEP_USER.gid}`);
    // The spec's resources hold the container: 256Mi and half a core.
    expect(inspected.HostConfig.Memory).toBe(256 * 2 ** 20);
    expect(inspected.HostConfig.NanoCpus).toBe(0.5e9);

    const predicted = await api.call('viewer', {
      method: 'POST',
      url: `/v1/deployments/${name}/predict`,
      payload: { rows: [{ a: 2, b: 3 }, { a: 10 }] },
    });
    expect(predicted.statusCode, predicted.body).toBe(200);
    expect(predicted.json()).toMatchObject({ predictions: [1005, 1010], version: 1 });

    // Version 2's server says it loaded version 3: rolled back, its container gone, version 1 serving.
    const second = await deploy(2, { FIXTURE_MODE: 'wrong-version' });
    expect(second.status).toBe('rolled-back');
    expect(second.reason).toMatch(/names version 3, expected 2/);
    const after = await containers(true);
    expect(after.map((c) => c.Labels[SERVING_LABELS.version])).toEqual(['1']);
    const logs = await api.call('viewer', { method: 'GET', url: `/v1/deployments/${name}/logs?tail=20` });
    expect(logs.body).toMatch(/fixture model server v1 \(normal\) in a container/);
  }, 400_000);

  it('a server whose image is not on the engine fails the rollout with that reason; version 1 keeps serving', async () => {
    const res = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      payload: { spec: { ...spec(), server: { ...spec().server, image: 'sluice/none:1' } }, version: 2 },
    });
    expect(res.statusCode, res.body).toBe(202);
    const r = await rolloutDone(api.h.db, (res.json() as { rolloutId: string }).rolloutId, 180_000);
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/image sluice\/none:1 is not on this worker's Docker engine/);
    expect((await containers()).map((c) => c.Labels[SERVING_LABELS.version])).toEqual(['1']);
  }, 300_000);
});
