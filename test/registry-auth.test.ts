import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, type ApiHarness } from './api.js';
import { createHarness, type Harness } from './harness.js';
import { expectProblem } from './registry-support.js';

type Role = 'viewer' | 'operator' | 'admin';
/** Every registry route and the least role it needs. */
const ROUTES: Array<[string, string, Role]> = [
  ['POST', '/v1/models', 'operator'], ['GET', '/v1/models', 'viewer'], ['GET', '/v1/models/m', 'viewer'],
  ['PATCH', '/v1/models/m', 'operator'], ['POST', '/v1/models/m/archive', 'admin'],
  ['POST', '/v1/models/m/versions', 'operator'], ['POST', '/v1/models/m/versions/upload', 'operator'],
  ['GET', '/v1/models/m/versions', 'viewer'], ['GET', '/v1/models/m/versions/compare?a=1&b=2', 'viewer'],
  ['GET', '/v1/models/m/versions/1', 'viewer'], ['PATCH', '/v1/models/m/versions/1', 'operator'],
  ['POST', '/v1/models/m/versions/1/archive', 'operator'], ['GET', '/v1/models/m/versions/1/artifact', 'viewer'],
  ['GET', '/v1/models/m/aliases', 'viewer'], ['GET', '/v1/models/m/aliases/champion', 'viewer'],
  ['PUT', '/v1/models/m/aliases/champion', 'operator'], ['DELETE', '/v1/models/m/aliases/champion', 'operator'],
  ['POST', '/v1/datasets', 'operator'], ['GET', '/v1/datasets', 'viewer'], ['GET', '/v1/datasets/d', 'viewer'],
  ['PATCH', '/v1/datasets/d', 'operator'], ['POST', '/v1/datasets/d/versions', 'operator'],
  ['POST', '/v1/datasets/d/versions/upload', 'operator'], ['GET', '/v1/datasets/d/versions', 'viewer'],
  ['GET', '/v1/datasets/d/versions/1', 'viewer'], ['GET', '/v1/datasets/d/versions/1/stats', 'viewer'],
  ['GET', '/v1/datasets/d/versions/1/artifact', 'viewer'], ['GET', '/v1/lineage/models/m/versions/1', 'viewer'],
  ['GET', '/v1/lineage/datasets/d/versions/1', 'viewer'], ['GET', '/v1/lineage/runs/r', 'viewer'],
  ['GET', '/v1/registry/resolve?uri=models:/m/1', 'viewer'],
];
const BELOW: Record<Role, Role[]> = { viewer: [], operator: ['viewer'], admin: ['viewer', 'operator'] };

describe('registry routes: keys and roles', () => {
  let h: Harness;
  let api: ApiHarness;
  beforeAll(async () => {
    h = await createHarness();
    api = await createApi(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('every route needs a key, and refuses roles below its own before touching anything', async () => {
    for (const [method, url, role] of ROUTES) {
      const opts = { method: method as 'GET', url, ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }) };
      expectProblem(await api.call(undefined, opts), 401);
      for (const low of BELOW[role]) expectProblem(await api.call(low, opts), 403);
      // With the right role the route is reached: a 404 of a missing model or dataset, or a 400 of the empty body.
      const res = await api.call(role, opts);
      expect([200, 400, 404], `${method} ${url}: ${res.body}`).toContain(res.statusCode);
    }
    expect((await api.call('viewer', { method: 'GET', url: '/v1/models' })).statusCode).toBe(200);
  });
});
