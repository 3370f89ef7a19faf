import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parsePipelineSpec } from '../core/pipeline/index.js';
import { setAlias } from '../core/registry/models/aliases.js';
import { getRoutes } from '../core/deployments/routes.js';
import { fixtureSpec, registerFixtureVersions, servingPids, tearDownDeployment } from './support/deployments.js';
import { useHarness } from './support/harness.js';
import { tester } from './support/registry-fixtures.js';
import { waitFor } from './support/wait.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

const MODEL = 'step-fixture';

describe('the deploy step kind', () => {
  const h = useHarness({ worker: true });
  const name = `step-dep-${process.pid}`;
  afterAll(async () => {
    if (h.client) await tearDownDeployment(h.client, name);
    await waitFor('no serving process left', async () => (await servingPids(name)).length === 0);
  });

  const pipeline = (env: Record<string, string> = {}) => {
    const { name: _n, ...spec } = fixtureSpec(name, MODEL);
    return YAML.stringify({
      apiVersion: 'sluice/v1',
      name: 'deploy-kind',
      steps: [
        {
          id: 'deploy',
          kind: 'deploy',
          deployment: name,
          model: `models:/${MODEL}@champion`,
          spec: { ...spec, server: { ...spec.server, env } },
        },
      ],
    });
  };

  it('validates: exactly one of model and from, from must name a register step', () => {
    const bad = parsePipelineSpec(
      YAML.stringify({
        apiVersion: 'sluice/v1',
        name: 'bad',
        steps: [{ id: 'deploy', kind: 'deploy', deployment: name }],
      }),
    );
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).toContain('$.steps[0].model');
    const wrongFrom = parsePipelineSpec(
      YAML.stringify({
        apiVersion: 'sluice/v1',
        name: 'bad',
        steps: [
          { id: 'train', image: 'x', command: ['true'] },
          { id: 'deploy', kind: 'deploy', deployment: name, from: 'train' },
        ],
      }),
    );
    expect(wrongFrom.ok).toBe(false);
    expect(JSON.stringify(wrongFrom)).toContain('$.steps[1].from');
  });

  it('deploys the champion, then ends normally with the reason when the next champion rolls back', async () => {
    await registerFixtureVersions(h.deps, MODEL, 2);
    await setAlias(h.db, MODEL, 'champion', 1, tester);
    const first = await runToEnd(h, runInput(planFrom(pipeline())));
    expect(first.error).toBeUndefined();
    expect(first.status!.steps[0]!.details).toMatchObject({ outcome: 'deployed', version: 1, deployment: name });
    expect((await getRoutes(h.db, name)).map((r) => [r.version, r.weight])).toEqual([[1, 100]]);

    await setAlias(h.db, MODEL, 'champion', 2, tester);
    const second = await runToEnd(h, runInput(planFrom(pipeline({ FIXTURE_MODE_V2: 'smoke-fails' }))));
    expect(second.error).toBeUndefined();
    expect(second.status!.state).toBe('succeeded');
    expect(second.status!.steps[0]!.details).toMatchObject({ outcome: 'rolled-back', version: 2 });
    expect(String(second.status!.steps[0]!.details!.reason)).toMatch(/^smoke: POST \/predict answered 500/);
    expect((await getRoutes(h.db, name)).map((r) => [r.version, r.weight])).toEqual([[1, 100]]);
  });
});
