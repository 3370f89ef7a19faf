import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, useApi } from './support/api.js';
import { startModelServer, type ModelServer } from './support/gateway-model-server.js';
import { harmlessUrl, ROUTES, servedRoutes } from './support/route-roles.js';

describe('keys scoped to predicting on named deployments', () => {
  const api = useApi();
  let server: ModelServer;
  let scoped: string;
  let scopedId: string;

  beforeAll(async () => {
    server = await startModelServer(1);
    api.h.onClose(() => server.close());
    await api.h.db
      .insertInto('deployment_routes')
      .values(
        ['wine', 'beer'].map((deployment) => ({
          deployment,
          model: deployment,
          version: 1,
          url: server.url,
          weight: 100,
        })),
      )
      .execute();
    const res = await api.call('admin', {
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'wine-app', role: 'viewer', scope: { predict: ['wine'] } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const issued = res.json() as { id: string; key: string; scope: unknown };
    expect(issued.scope).toEqual({ predict: ['wine'] });
    scoped = issued.key;
    scopedId = issued.id;
  });

  const withScoped = (opts: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: unknown }) =>
    api.app.inject({ ...opts, payload: opts.payload as object, headers: { authorization: `Bearer ${scoped}` } });

  it('predicts and sends feedback on its deployment', async () => {
    const res = await withScoped({
      method: 'POST',
      url: '/v1/deployments/wine/predict',
      payload: { rows: [{ x: 1 }] },
    });
    expect(res.statusCode, res.body).toBe(200);
    const { requestId } = res.json() as { requestId: string };
    const fb = await withScoped({
      method: 'POST',
      url: '/v1/deployments/wine/feedback',
      payload: { requestId, label: 11 },
    });
    expect(fb.statusCode, fb.body).toBe(200);
    expect(fb.json()).toMatchObject({ version: 1, labelled: 1, correct: 1 });
  });

  it("is refused (403) on another deployment's predict and feedback", async () => {
    const other = expectProblem(
      await withScoped({ method: 'POST', url: '/v1/deployments/beer/predict', payload: { rows: [{ x: 1 }] } }),
      403,
    );
    expect(other.detail).toMatch(new RegExp(`${scopedId} is limited to predicting on "wine", not "beer"`));
    expectProblem(
      await withScoped({ method: 'POST', url: '/v1/deployments/beer/feedback', payload: { requestId: 'r', label: 1 } }),
      403,
    );
  });

  it('is refused (403) on every other route, GET /v1/runs and /metrics among them', async () => {
    const served = await servedRoutes(api.h);
    const gateway = new Set(['POST /v1/deployments/{name}/predict', 'POST /v1/deployments/{name}/feedback']);
    const refused = served.filter((r) => !r.hidden && r.role !== 'public' && !gateway.has(`${r.method} ${r.path}`));
    expect(refused.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['GET /v1/runs', 'GET /v1/keys']),
    );
    for (const r of refused) {
      const res = await withScoped({
        method: r.method as 'GET',
        url: harmlessUrl(r),
        ...(r.method === 'POST'
          ? { payload: ROUTES.find((x) => x.method === r.method && x.path === r.path)?.payload ?? {} }
          : {}),
      });
      const label = `${r.method} ${harmlessUrl(r)}: ${res.body.slice(0, 200)}`;
      expect(res.statusCode, label).toBe(403);
      expect(res.json().detail, label).toMatch(/limited to predicting on "wine"; this route refuses scoped keys/);
    }
    expect((await withScoped({ method: 'GET', url: '/metrics' })).statusCode).toBe(403);
  });

  it('is listed with its scope and its issue is audited with it', async () => {
    const keys = (await api.call('admin', { method: 'GET', url: '/v1/keys' })).json() as {
      items: { id: string; scope: unknown }[];
    };
    expect(keys.items.find((k) => k.id === scopedId)?.scope).toEqual({ predict: ['wine'] });
    expect(keys.items.filter((k) => k.id !== scopedId).every((k) => k.scope === null)).toBe(true);
    const events = (
      await api.call('admin', { method: 'GET', url: `/v1/events?resourceType=api_key&resourceId=${scopedId}` })
    ).json() as { items: { action: string; details: Record<string, unknown> }[] };
    expect(events.items).toEqual([
      expect.objectContaining({
        action: 'key.issue',
        details: { name: 'wine-app', role: 'viewer', scope: { predict: ['wine'] } },
      }),
    ]);
  });

  it('refuses a bad scope, or a scope on a key of a higher role, naming the field', async () => {
    const issue = (payload: object) => api.call('admin', { method: 'POST', url: '/v1/keys', payload });
    expectProblem(await issue({ name: 'x', role: 'viewer', scope: { predict: [] } }), 400, 'body.scope.predict');
    expectProblem(
      await issue({ name: 'x', role: 'viewer', scope: { predict: ['Bad Name'] } }),
      400,
      'body.scope.predict[0]',
    );
    expectProblem(await issue({ name: 'x', role: 'viewer', scope: { train: ['wine'] } }), 400, 'body.scope.train');
    expectProblem(await issue({ name: 'x', role: 'operator', scope: { predict: ['wine'] } }), 400, '$.role');
  });

  it('leaves ordinary keys free to predict on any deployment', async () => {
    const res = await api.call('viewer', {
      method: 'POST',
      url: '/v1/deployments/beer/predict',
      payload: { rows: [{ x: 2 }] },
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('is issued and listed with its scope by the CLI (`sluice keys create NAME --predict-on wine`)', async () => {
    const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const root = join(fileURLToPath(import.meta.url), '../..');
    const sluice = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [join(root, 'bin/sluice.js'), ...args],
          {
            cwd: root,
            timeout: 60_000,
            env: { PATH: process.env.PATH, SLUICE_API_URL: url, SLUICE_API_KEY: api.keys.admin },
          },
          (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
        );
      });
    const created = await sluice(['keys', 'create', 'cli-app', '--predict-on', 'wine,beer', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const issued = JSON.parse(created.stdout) as { key: string; role: string; scope: unknown };
    expect(issued).toMatchObject({ role: 'viewer', scope: { predict: ['wine', 'beer'] } });
    const res = await api.app.inject({
      method: 'GET',
      url: '/v1/runs',
      headers: { authorization: `Bearer ${issued.key}` },
    });
    expectProblem(res, 403);
    const listed = await sluice(['keys', 'ls']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/cli-app\s+viewer\s+predict:wine,beer\s/);
    const refused = await sluice(['keys', 'create', 'bad', '--predict-on', 'wine', '--role', 'operator']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/scoped key has the viewer role/);
  });
});
