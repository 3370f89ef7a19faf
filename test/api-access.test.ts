import { beforeAll, describe, expect, it } from 'vitest';
import { issueKey, revokeKey, roleRank } from '../core/access/keys.js';
import type { Role } from '../core/db/tables/access.js';
import { useApi } from './support/api.js';
import { harmlessUrl, PUBLIC_ROUTES, ROUTES, servedRoutes, type ServedRoute } from './support/route-roles.js';

type Caller = Role | 'none' | 'expired' | 'revoked' | 'unknown';
const CALLERS: Caller[] = ['none', 'unknown', 'expired', 'revoked', 'viewer', 'operator', 'admin'];

describe('access control', () => {
  const api = useApi();
  const secrets: Partial<Record<Caller, string>> = {};
  let served: ServedRoute[];
  beforeAll(async () => {
    served = (await servedRoutes(api.h)).filter((r) => !r.hidden);
    Object.assign(secrets, api.keys);
    secrets.expired = (
      await issueKey(api.h.db, { name: 'old', role: 'admin', expiresAt: new Date(Date.now() - 1000) })
    ).key;
    const revoked = await issueKey(api.h.db, { name: 'gone', role: 'admin' });
    await revokeKey(api.h.db, revoked.id);
    secrets.revoked = revoked.key;
    secrets.unknown = 'slk_not-a-real-key';
  });

  const call = (who: Caller, r: ServedRoute) =>
    api.app.inject({
      method: r.method as 'GET',
      url: harmlessUrl(r),
      ...(r.method === 'POST'
        ? { payload: ROUTES.find((x) => x.method === r.method && x.path === r.path)?.payload ?? {} }
        : {}),
      headers: secrets[who] ? { authorization: `Bearer ${secrets[who]}` } : {},
    });

  it('every route declares its role; those of the role matrix declare the one written there', () => {
    expect(served.length).toBeGreaterThanOrEqual(ROUTES.length);
    for (const r of served) expect(r.role, `${r.method} ${r.path} declares no role`).toBeDefined();
    for (const r of ROUTES) {
      expect(served.find((s) => s.method === r.method && s.path === r.path)?.role, `${r.method} ${r.path}`).toBe(
        r.role,
      );
    }
    expect(served.filter((r) => r.role === 'public').map((r) => `${r.method} ${r.path}`)).toEqual(PUBLIC_ROUTES);
  });

  it("enforces each route's role for no key, unknown, expired and revoked keys, and every role", async () => {
    for (const route of served.filter((r) => r.role !== 'public')) {
      const required = route.role as Role;
      for (const who of CALLERS) {
        const res = await call(who, route);
        const label = `${who} → ${route.method} ${harmlessUrl(route)}: ${res.body.slice(0, 300)}`;
        if (who === 'none' || who === 'unknown' || who === 'expired' || who === 'revoked') {
          expect(res.statusCode, label).toBe(401);
          expect(res.json().type, label).toBe('https://sluice.dev/problems/unauthorized');
          expect(res.json().detail, label).toMatch(
            who === 'none' ? /missing API key/ : who === 'unknown' ? /unknown/ : new RegExp(who),
          );
        } else if (roleRank(who) < roleRank(required)) {
          expect(res.statusCode, label).toBe(403);
          expect(res.json().detail, label).toMatch(`needs the ${required} role`);
        } else {
          expect([401, 403], label).not.toContain(res.statusCode);
          expect(res.statusCode, label).toBeLessThan(500);
        }
      }
    }
  });

  it('serves /healthz and /readyz without a key', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { database: { ok: true }, temporal: { ok: true } } });
  });

  it('issues, lists and revokes keys, effective at once, and audits each', async () => {
    const issued = await api.call('admin', {
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'ci', role: 'operator' },
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const { id, key } = issued.json();
    expect(key).toMatch(/^slk_/);
    const asCi = (url: string) => api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
    expect((await asCi('/v1/runs')).statusCode).toBe(200);
    expect((await asCi('/v1/keys')).statusCode).toBe(403);

    const listed = (await api.call('admin', { method: 'GET', url: '/v1/keys' })).json();
    const row = listed.items.find((k: { id: string }) => k.id === id);
    expect(row).toMatchObject({ name: 'ci', role: 'operator', createdBy: 'test-admin', revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(key);

    const revoked = await api.call('admin', { method: 'DELETE', url: `/v1/keys/${id}` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await asCi('/v1/runs')).statusCode).toBe(401);

    const events = (
      await api.call('viewer', { method: 'GET', url: `/v1/events?resourceType=api_key&resourceId=${id}` })
    ).json();
    expect(events.items.map((e: { action: string }) => e.action)).toEqual(['key.revoke', 'key.issue']);
    expect(events.items[1]).toMatchObject({ actor: 'test-admin', requestId: issued.headers['x-request-id'] });
  });

  it('expires keys and refuses an expiry in the past', async () => {
    const past = await api.call('admin', {
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'x', role: 'viewer', expiresAt: '2020-01-01T00:00:00Z' },
    });
    expect(past.json()).toMatchObject({ status: 400, errors: [{ path: '$.expiresAt' }] });
    const soon = new Date(Date.now() + 1500).toISOString();
    const { key } = (
      await api.call('admin', {
        method: 'POST',
        url: '/v1/keys',
        payload: { name: 'brief', role: 'viewer', expiresAt: soon },
      })
    ).json();
    const get = () => api.app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${key}` } });
    expect((await get()).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await get()).statusCode).toBe(401);
  });
});
