import { afterAll, describe, expect, it } from 'vitest';
import { getRoutes } from '../core/deployments/routes.js';
import {
  applyDeployment,
  deploymentStatus,
  rollbackDeployment,
  type DeploymentsContext,
} from '../core/deployments/service.js';
import { deploymentSpecSchema, type DeploymentSpecInput } from '../core/deployments/spec.js';
import { LATENCY_BOUNDS_MS } from '../core/gateway/observer.js';
import { requireVersion } from '../core/registry/models/versions-read.js';
import {
  fixtureSpec,
  registerFixtureVersions,
  rolloutDone,
  servingPids,
  tearDownDeployment,
} from './support/deployments.js';
import { useHarness } from './support/harness.js';
import { uniqueId } from './support/services.js';
import { tester } from './support/registry-fixtures.js';
import { waitFor } from './support/wait.js';

const MODEL = 'dep-fixture';

describe('deployments: rollouts on the real stack (process executor)', () => {
  const h = useHarness({ worker: true });
  const name = uniqueId('dep')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40);
  const ctx = (): DeploymentsContext => ({ db: h.db, temporal: h.client, taskQueue: h.taskQueue });
  const deploy = async (version: number, extra: Partial<DeploymentSpecInput> = {}) => {
    const spec = deploymentSpecSchema.parse(fixtureSpec(name, MODEL, extra));
    const { accepted } = await applyDeployment(ctx(), spec, version, tester);
    return accepted;
  };
  const deployed = async (version: number, extra: Partial<DeploymentSpecInput> = {}) => {
    const { rolloutId } = await deploy(version, extra);
    expect(rolloutId).toBeTruthy();
    return rolloutDone(h.db, rolloutId!);
  };
  const failing = (mode: string, readyTimeoutSeconds = 30): Partial<DeploymentSpecInput> => {
    const base = fixtureSpec(name, MODEL);
    return {
      server: { ...base.server, env: { FIXTURE_MODE_V2: mode }, readyTimeoutSeconds },
    };
  };
  const expectOnlyV1Serving = async () => {
    expect((await getRoutes(h.db, name)).map((r) => [r.version, r.weight])).toEqual([[1, 100]]);
    const status = await deploymentStatus(ctx(), name);
    expect(status?.current?.version).toBe(1);
    await waitFor('v2 to be gone', async () => (await servingPids(name)).length === 1);
  };

  afterAll(async () => {
    if (h.client) await tearDownDeployment(h.client, name);
    await waitFor('no serving process left', async () => (await servingPids(name)).length === 0);
  });

  it('deploys a first version: ready, smoked, all traffic, production alias', async () => {
    await registerFixtureVersions(h.deps, MODEL, 3);
    const r = await deployed(1);
    expect(r.status, r.reason ?? '').toBe('succeeded');
    expect(r.timeline.map((t) => t.step)).toEqual(
      expect.arrayContaining(['requested', 'started', 'ready', 'smoke', 'traffic', 'alias', 'succeeded']),
    );
    const routes = await getRoutes(h.db, name);
    expect(routes.map((x) => [x.version, x.weight])).toEqual([[1, 100]]);
    const res = await fetch(`${routes[0]!.url}/predict`, {
      method: 'POST',
      body: JSON.stringify({ rows: [{ x: 5 }] }),
    });
    expect(await res.json()).toMatchObject({ predictions: [1005] });
    expect((await requireVersion(h.db, MODEL, { alias: 'production' })).version).toBe(1);
    expect(await servingPids(name)).toHaveLength(1);
  });

  it('a second deploy of the serving version is a no-op', async () => {
    const again = await deploy(1);
    expect(again).toEqual({ rolloutId: null, noop: 'version 1 already serves' });
  });

  it.each([
    ['never-ready', /^readiness: not ready within the ready timeout \(last: \/ready answered 503/, 3],
    ['wrong-version', /^readiness: \/ready names version 3, expected 2$/, 30],
    ['exit', /^readiness: the server exited before it was ready \(fixture: exiting on purpose\)$/, 30],
    ['smoke-fails', /^smoke: POST \/predict answered 500/, 30],
  ])('a server that is %s rolls back with the reason and leaves v1 serving', async (mode, reason, timeout) => {
    const r = await deployed(2, failing(mode, timeout));
    expect(r.status).toBe('rolled-back');
    expect(r.reason).toMatch(reason);
    expect(r.fromVersion).toBe(1);
    await expectOnlyV1Serving();
    expect((await requireVersion(h.db, MODEL, { alias: 'production' })).version).toBe(1);
  });

  it("a server the worker's step policy refuses fails the rollout with the rule and leaves v1 serving", async () => {
    // The harness' policy does not allow host networking, which a container server needs.
    const base = fixtureSpec(name, MODEL);
    const r = await deployed(2, { server: { ...base.server, executor: 'docker', image: 'sluice/none:1' } });
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/refused by the step policy: the model server: policy rule "network"/);
    await expectOnlyV1Serving();
  });

  it('an alarm during a canary bake rolls back', async () => {
    const { rolloutId } = await deploy(2, {
      rollout: { strategy: 'canary', steps: [50, 100], bakeSeconds: 4 },
      alarms: { maxErrorRate: 0.1, minRequests: 5 },
    });
    await waitFor('the canary split', async () => {
      const routes = await getRoutes(h.db, name);
      return routes.length === 2 && routes.every((x) => x.weight === 50);
    });
    // What the gateway's flusher writes for the new version: 10 requests, 4 of them failed.
    const counts = new Array(LATENCY_BOUNDS_MS.length + 1).fill(0);
    counts[3] = 10;
    const now = new Date();
    await h.db
      .insertInto('gateway_stats')
      .values({
        deployment: name,
        version: 2,
        window_start: new Date(now.getTime() - 1000),
        window_end: now,
        requests: 10,
        errors: 4,
        latency_counts: JSON.stringify(counts),
      })
      .execute();
    const r = await rolloutDone(h.db, rolloutId!);
    expect(r.status).toBe('rolled-back');
    expect(r.reason).toMatch(
      /^alarm: error rate 0\.400 > maxErrorRate 0\.1 \(10 request\(s\), 4 error\(s\), p95 10 ms\)$/,
    );
    await expectOnlyV1Serving();
  });

  it('a canary whose bake stays quiet succeeds; the old version stops; rollback returns to it', async () => {
    const r = await deployed(3, { rollout: { strategy: 'canary', steps: [20, 100], bakeSeconds: 1 } });
    expect(r.status, r.reason ?? '').toBe('succeeded');
    expect(r.timeline.filter((t) => t.step === 'baked')).toHaveLength(2);
    expect((await getRoutes(h.db, name)).map((x) => [x.version, x.weight])).toEqual([[3, 100]]);
    await waitFor('only v3 to run', async () => (await servingPids(name)).length === 1);
    expect((await requireVersion(h.db, MODEL, { alias: 'production' })).version).toBe(3);

    const back = await rollbackDeployment(ctx(), name, tester);
    const rb = await rolloutDone(h.db, back.rolloutId!);
    expect(rb).toMatchObject({ kind: 'rollback', status: 'succeeded', fromVersion: 3, toVersion: 1 });
    expect((await getRoutes(h.db, name)).map((x) => [x.version, x.weight])).toEqual([[1, 100]]);
    expect((await requireVersion(h.db, MODEL, { alias: 'production' })).version).toBe(1);
    const status = await deploymentStatus(ctx(), name);
    expect([status?.current?.version, status?.previous?.version]).toEqual([1, 3]);
  });
});
