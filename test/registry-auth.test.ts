import { describe, expect, it } from 'vitest';
import type { Role } from '../core/db/tables/access.js';
import { expectProblem, useApi } from './support/api.js';
import { REGISTRY_ROUTES } from './support/route-roles.js';

const BELOW: Record<Role, Role[]> = { viewer: [], operator: ['viewer'], admin: ['viewer', 'operator'] };

describe('registry routes: keys and roles', () => {
  const api = useApi();

  it('every route needs a key, and refuses roles below its own before touching anything', async () => {
    for (const { method, url, role } of REGISTRY_ROUTES) {
      const opts = { method, url, ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }) };
      expectProblem(await api.call(undefined, opts), 401);
      for (const low of BELOW[role]) expectProblem(await api.call(low, opts), 403);
      // With the right role the route is reached: a 404 of a missing model or dataset, or a 400 of the empty body.
      const res = await api.call(role, opts);
      expect([200, 400, 404], `${method} ${url}: ${res.body}`).toContain(res.statusCode);
    }
    expect((await api.call('viewer', { method: 'GET', url: '/v1/models' })).statusCode).toBe(200);
  });
});
