import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { expectProblem, useApi } from './support/api.js';
import {
  fixtureSpec,
  registerFixtureVersions,
  rolloutDone,
  tearDownDeployment,
  servingPids,
} from './support/deployments.js';
import { waitFor } from './support/wait.js';
import { afterAll } from 'vitest';

const MODEL = 'api-fixture';

describe('deployments API', () => {
  const api = useApi({ worker: true });
  const name = `api-dep-${process.pid}`;

  afterAll(async () => {
    if (api.h) await tearDownDeployment(api.h.client, name);
    await waitFor('no serving process left', async () => (await servingPids(name)).length === 0);
  });

  it('refuses a bad spec with 400 naming the field, and viewers with 403', async () => {
    const bad = fixtureSpec(name, MODEL, { rollout: { strategy: 'canary', steps: [50, 20] } });
    const res = await api.call('operator', { method: 'POST', url: '/v1/deployments', payload: { spec: bad } });
    expectProblem(res, 400, '$.spec.rollout.steps');
    const noCommand = { ...fixtureSpec(name, MODEL), server: { command: [] } };
    expectProblem(
      await api.call('operator', { method: 'POST', url: '/v1/deployments', payload: { spec: noCommand } }),
      400,
      '$.spec.server.command',
    );
    const yaml = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      headers: { 'content-type': 'application/yaml' },
      payload: 'name: x\nmodel: m\nserver: {}\n',
    });
    expectProblem(yaml, 400, '$.server.command');
    const viewer = await api.call('viewer', {
      method: 'POST',
      url: '/v1/deployments',
      payload: { spec: fixtureSpec(name, MODEL) },
    });
    expectProblem(viewer, 403);
  });

  it('refuses a model server the step policy does not allow, naming the field and the rule', async () => {
    const base = fixtureSpec(name, MODEL);
    // This API's policy (like a split deployment's default) allows no host networking, which a container server needs.
    const boxed = { ...base, server: { ...base.server, executor: 'docker', image: 'sluice/sklearn:1' } };
    const res = await api.call('operator', { method: 'POST', url: '/v1/deployments', payload: { spec: boxed } });
    const body = expectProblem(res, 400, '$.spec.server.executor');
    expect(body.type).toBe('https://sluice.dev/problems/policy-violation');
    expect(body.detail).toMatch(/the deployment's model server asks for more/);
    const yaml = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      headers: { 'content-type': 'application/yaml' },
      payload: YAML.stringify({ ...base, server: { ...base.server, resources: { memory: 'lots' } } }),
    });
    expectProblem(yaml, 400, '$.server.resources.memory');
    // Nothing was saved by either refusal.
    const got = await api.call('viewer', { method: 'GET', url: `/v1/deployments/${name}` });
    expect(got.statusCode).toBe(404);
  });

  it('applies a spec with a version: 202, the rollout, status, routes and instance logs', async () => {
    await registerFixtureVersions(api.h.deps, MODEL, 2);
    const unknown = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      payload: { spec: fixtureSpec(name, MODEL), version: `models:/${MODEL}@nope` },
    });
    expectProblem(unknown, 404);

    const res = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      headers: { 'content-type': 'application/json' },
      payload: { spec: YAML.stringify(fixtureSpec(name, MODEL)), version: 1 },
    });
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json() as { rolloutId: string; created: boolean };
    expect(body.created).toBe(true);
    const rollout = await rolloutDone(api.h.db, body.rolloutId);
    expect(rollout.status, rollout.reason ?? '').toBe('succeeded');

    const got = await api.call('viewer', { method: 'GET', url: `/v1/deployments/${name}` });
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json()).toMatchObject({
      name,
      model: MODEL,
      current: { version: 1 },
      previous: null,
      routes: [{ version: 1, weight: 100 }],
      active: null,
      workflow: 'running',
    });
    const rollouts = await api.call('viewer', { method: 'GET', url: `/v1/deployments/${name}/rollouts` });
    expect(rollouts.json()).toMatchObject({ items: [{ id: body.rolloutId, status: 'succeeded', toVersion: 1 }] });
    const logs = await api.call('viewer', { method: 'GET', url: `/v1/deployments/${name}/logs?tail=5` });
    expect(logs.statusCode, logs.body).toBe(200);
    const lines = (logs.json() as { instances: Array<{ version: number; lines: string[] }> }).instances;
    expect(lines[0]!.version).toBe(1);
    expect(lines[0]!.lines.join('\n')).toMatch(/fixture model server v1 \(normal\) on 127\.0\.0\.1:\d+/);
    const list = await api.call('viewer', { method: 'GET', url: '/v1/deployments' });
    expect((list.json() as { items: Array<{ name: string }> }).items.map((d) => d.name)).toContain(name);

    // The same version again: nothing to do. No previous version yet: no rollback.
    const again = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      payload: { spec: fixtureSpec(name, MODEL), version: '1' },
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ created: false, rolloutId: null, noop: 'version 1 already serves' });
    expectProblem(await api.call('operator', { method: 'POST', url: `/v1/deployments/${name}/rollback` }), 409);
    expectProblem(await api.call('operator', { method: 'POST', url: '/v1/deployments/ghost/rollback' }), 404);

    // The events trail has the writes, by the operator's key.
    const events = await api.h.db
      .selectFrom('events')
      .select('action')
      .where('resource_type', '=', 'deployment')
      .where('resource_id', '=', name)
      .execute();
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['deployment.create', 'deployment.deploy', 'deployment.update']),
    );
  });

  it('deletes a deployment: nothing routed, its server stopped, its workflow ended, its history kept', async () => {
    expect((await servingPids(name)).length).toBeGreaterThan(0);
    expectProblem(await api.call('viewer', { method: 'DELETE', url: `/v1/deployments/${name}` }), 403);
    const res = await api.call('operator', { method: 'DELETE', url: `/v1/deployments/${name}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ name, stopped: [1] });
    expect(await servingPids(name)).toEqual([]);
    expectProblem(await api.call('viewer', { method: 'GET', url: `/v1/deployments/${name}` }), 404);
    const predicted = await api.call('viewer', {
      method: 'POST',
      url: `/v1/deployments/${name}/predict`,
      payload: { rows: [{ a: 1 }] },
    });
    expectProblem(predicted, 404);
    const wf = await api.h.client.workflow.getHandle(`deployment:${name}`).describe();
    expect(wf.status.name).toBe('COMPLETED');
    // History stays: the rollout rows; the trail names who deleted it and what stopped.
    const rollouts = await api.h.db
      .selectFrom('deployment_rollouts')
      .select('id')
      .where('deployment', '=', name)
      .execute();
    expect(rollouts.length).toBeGreaterThan(0);
    const deletedBy = await api.h.db
      .selectFrom('events')
      .select(['actor', 'details'])
      .where('action', '=', 'deployment.delete')
      .where('resource_id', '=', name)
      .executeTakeFirstOrThrow();
    expect(deletedBy.actor).toBe('test-operator');
    expect(deletedBy.details).toMatchObject({ stopped: [1] });
    expectProblem(await api.call('operator', { method: 'DELETE', url: `/v1/deployments/${name}` }), 404);

    // The name can be used again: a new workflow, a fresh rollout.
    const res2 = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      payload: { spec: fixtureSpec(name, MODEL), version: 1 },
    });
    expect(res2.statusCode, res2.body).toBe(202);
    expect(res2.json()).toMatchObject({ created: true });
    const again = await rolloutDone(api.h.db, (res2.json() as { rolloutId: string }).rolloutId);
    expect(again.status, again.reason ?? '').toBe('succeeded');
  });
});
