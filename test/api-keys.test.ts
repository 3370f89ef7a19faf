import { describe, expect, it } from 'vitest';
import { expectProblem, useApi } from './support/api.js';

interface Key {
  id: string;
  name: string;
  role: string;
  prefix: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

describe('keys API: no lock-out, prefixes and last use', () => {
  const api = useApi();
  const keys = async (): Promise<Key[]> => (await api.call('admin', { method: 'GET', url: '/v1/keys' })).json().items;

  it('refuses with 409 to revoke the last lasting admin key, and allows it once another exists', async () => {
    const admin = (await keys()).find((k) => k.name === 'test-admin')!;
    const refused = expectProblem(await api.call('admin', { method: 'DELETE', url: `/v1/keys/${admin.id}` }), 409);
    expect(refused.detail).toMatch(/last active admin key .*sluice admin issue-key/);

    const spare = await api.call('admin', {
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'spare', role: 'admin' },
    });
    expect(spare.statusCode).toBe(201);
    const { id } = spare.json() as Key;
    expect((await api.call('admin', { method: 'DELETE', url: `/v1/keys/${id}` })).statusCode).toBe(200);
    expectProblem(await api.call('admin', { method: 'DELETE', url: `/v1/keys/${admin.id}` }), 409);
  });

  it('shows the prefix of each secret and the last time each key was used', async () => {
    const created = await api.call('admin', {
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'ci', role: 'viewer' },
    });
    const issued = created.json() as Key & { key: string };
    expect(issued.prefix).toBe(issued.key.slice(0, 12));
    expect((await keys()).find((k) => k.id === issued.id)).toMatchObject({ prefix: issued.prefix, lastUsedAt: null });

    const res = await api.app.inject({
      method: 'GET',
      url: '/v1/runs',
      headers: { authorization: `Bearer ${issued.key}` },
    });
    expect(res.statusCode).toBe(200);
    const listed = await keys();
    expect(listed.find((k) => k.id === issued.id)!.lastUsedAt).not.toBeNull();
    expect(listed.find((k) => k.name === 'test-admin')!.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(issued.key);
  });
});
