import { describe, expect, it } from 'vitest';
import { savePipelineVersion } from '../core/pipeline/versions.js';
import { insertPendingRun } from '../core/runs/queries.js';
import { useApi } from './support/api.js';
import { dbTargets, openMigrated } from './support/databases.js';

const spec = (name: string, echo = 'hi') => ({
  apiVersion: 'sluice/v1',
  name,
  description: 'demo',
  params: { n: { type: 'integer', default: 1 } },
  steps: [{ id: 'a', image: 'none', command: ['sh', '-c', `echo ${echo}`] }],
});
const yaml = (name: string) =>
  `apiVersion: sluice/v1\nname: ${name}\nsteps:\n  - id: a\n    image: none\n    command: [sh, -c, 'echo hi']\n`;

describe('pipelines API', () => {
  const api = useApi();

  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    api.call('operator', { method: 'POST', url: '/v1/pipelines', payload: payload as string, headers });

  it('creates from JSON, versions only on change, and serves every version', async () => {
    const first = await post({ spec: spec('train') });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ pipeline: 'train', version: 1, latestVersion: 1, created: true });
    const same = await post({ spec: spec('train') });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({ version: 1, created: false, digest: first.json().digest });
    const changed = await post({ spec: spec('train', 'changed') });
    expect(changed.json()).toMatchObject({ version: 2, created: true });
    // Re-applying an older spec maps to the version that already has it.
    expect((await post({ spec: spec('train') })).json()).toMatchObject({
      version: 1,
      latestVersion: 2,
      created: false,
    });

    const latest = (await api.call('viewer', { method: 'GET', url: '/v1/pipelines/train' })).json();
    expect(latest).toMatchObject({ pipeline: 'train', version: 2, latestVersion: 2, createdBy: 'test-operator' });
    expect(latest.spec.steps[0].command).toEqual(['sh', '-c', 'echo changed']);
    expect(latest.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const v1 = (await api.call('viewer', { method: 'GET', url: '/v1/pipelines/train/versions/1' })).json();
    expect(v1.spec.steps[0].command).toEqual(['sh', '-c', 'echo hi']);
    expect((await api.call('viewer', { method: 'GET', url: '/v1/pipelines/train/versions/3' })).statusCode).toBe(404);

    const events = (
      await api.call('viewer', { method: 'GET', url: '/v1/events?resourceType=pipeline&resourceId=train' })
    ).json();
    expect(events.items.map((e: { action: string }) => e.action)).toEqual(['pipeline.update', 'pipeline.create']);
  });

  it('accepts raw YAML and names the bad field of an invalid spec', async () => {
    const ok = await post(yaml('from-yaml'), { 'content-type': 'application/yaml' });
    expect(ok.statusCode, ok.body).toBe(201);
    const bad = await post('apiVersion: sluice/v1\nname: x\nsteps:\n  - id: a\n    imag: busybox\n', {
      'content-type': 'text/yaml',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual(
      expect.arrayContaining([{ path: '$.steps[0].imag', message: "unknown field 'imag'" }]),
    );
    const broken = await post('steps: [', { 'content-type': 'application/yaml' });
    expect(broken.json().errors[0].message).toMatch(/invalid YAML: line 1/);
    const json = await post({ spec: { ...spec('x'), steps: [{ id: 'a' }] } });
    expect(json.json().errors).toEqual([{ path: '$.spec.steps[0].image', message: expect.any(String) }]);
  });

  it('validates without saving', async () => {
    const good = await api.call('viewer', {
      method: 'POST',
      url: '/v1/pipelines/validate',
      payload: { spec: spec('dry') },
    });
    expect(good.json()).toMatchObject({ valid: true, errors: [], spec: { name: 'dry', settings: { parallelism: 4 } } });
    const bad = await api.call('viewer', {
      method: 'POST',
      url: '/v1/pipelines/validate',
      payload: { spec: { ...spec('dry'), apiVersion: 'v0' } },
    });
    expect(bad.json()).toMatchObject({ valid: false, errors: [{ path: '$.spec.apiVersion' }] });
    expect((await api.call('viewer', { method: 'GET', url: '/v1/pipelines/dry' })).statusCode).toBe(404);
  });

  it('lists by name with a cursor', async () => {
    for (const n of ['p-a', 'p-b', 'p-c']) await post({ spec: spec(n) });
    const page1 = (await api.call('viewer', { method: 'GET', url: '/v1/pipelines?limit=2' })).json();
    const page2 = (
      await api.call('viewer', { method: 'GET', url: `/v1/pipelines?limit=2&cursor=${page1.nextCursor}` })
    ).json();
    const names = [...page1.items, ...page2.items].map((p: { name: string }) => p.name);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['p-a', 'p-b', 'p-c']));
  });

  it('deletes (admin only), refusing while a run is active', async () => {
    await post({ spec: spec('doomed') });
    await insertPendingRun(api.h.db, {
      id: 'doomed-1',
      workflowId: 'run-doomed-1',
      pipeline: 'doomed',
      version: 1,
      params: {},
      trigger: 'api',
      createdBy: null,
      idempotencyKey: null,
      retryOf: null,
    });
    expect((await api.call('operator', { method: 'DELETE', url: '/v1/pipelines/doomed' })).statusCode).toBe(403);
    const busy = await api.call('admin', { method: 'DELETE', url: '/v1/pipelines/doomed' });
    expect(busy.statusCode).toBe(409);
    await api.h.db.updateTable('runs').set({ status: 'failed' }).where('id', '=', 'doomed-1').execute();
    expect((await api.call('admin', { method: 'DELETE', url: '/v1/pipelines/doomed' })).statusCode).toBe(204);
    expect((await api.call('viewer', { method: 'GET', url: '/v1/pipelines/doomed' })).statusCode).toBe(404);
    expect((await api.call('admin', { method: 'DELETE', url: '/v1/pipelines/doomed' })).statusCode).toBe(404);
  });
});

describe.each(dbTargets())('pipeline version allocation on $name', (target) => {
  it('gives concurrent applies distinct, gap-free versions', async () => {
    const { db, close } = await openMigrated(target);
    try {
      const saves = await Promise.all(
        Array.from({ length: 20 }, (_, i) => savePipelineVersion(db, { name: 'race', digest: `d${i}`, spec: { i } })),
      );
      expect(saves.map((s) => s.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const again = await Promise.all(
        [1, 2, 3].map(() => savePipelineVersion(db, { name: 'race', digest: 'd7', spec: { i: 7 } })),
      );
      expect(again.every((s) => !s.created && s.version === saves[7]!.version)).toBe(true);
    } finally {
      await close();
    }
  });
});
