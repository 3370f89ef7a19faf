import { beforeAll, describe, expect, it } from 'vitest';
import { appendEvent } from '../core/access/events.js';
import { useApi } from './support/api.js';

interface Page {
  items: { id: string }[];
  nextCursor: string | null;
}

describe('listing runs and events', () => {
  const t0 = new Date('2026-01-01T00:00:00.000Z');
  const api = useApi();
  beforeAll(async () => {
    // Ten runs share one created_at to the microsecond: only the id tie-break keeps pages stable.
    const rows = Array.from({ length: 14 }, (_, i) => ({
      id: `r${String(i).padStart(2, '0')}`,
      workflow_id: `run-r${i}`,
      pipeline: i % 2 ? 'odd' : 'even',
      pipeline_version: 1,
      status: i < 10 ? ('succeeded' as const) : ('failed' as const),
      trigger: i % 3 ? 'api' : 'schedule',
      params: '{}',
      created_at: i < 10 ? '2026-01-01T00:00:00.123456Z' : new Date(t0.getTime() + i * 60_000).toISOString(),
    }));
    await api.h.db.insertInto('runs').values(rows).execute();
  });

  async function all(url: string, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.call('viewer', {
        method: 'GET',
        url: `${url}${url.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      const page: Page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(limit);
      ids.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  it('pages through runs newest first without gaps or repeats', async () => {
    const ids = await all('/v1/runs', 3);
    expect(ids).toEqual([
      'r13',
      'r12',
      'r11',
      'r10',
      'r09',
      'r08',
      'r07',
      'r06',
      'r05',
      'r04',
      'r03',
      'r02',
      'r01',
      'r00',
    ]);
  });

  it('filters by pipeline, status, trigger and time', async () => {
    expect(await all('/v1/runs?pipeline=odd&status=succeeded', 2)).toEqual(['r09', 'r07', 'r05', 'r03', 'r01']);
    expect(await all('/v1/runs?trigger=schedule', 50)).toEqual(['r12', 'r09', 'r06', 'r03', 'r00']);
    const since = new Date(t0.getTime() + 11 * 60_000).toISOString();
    const until = new Date(t0.getTime() + 13 * 60_000).toISOString();
    expect(await all(`/v1/runs?since=${since}&until=${until}`, 50)).toEqual(['r12', 'r11']);
  });

  it('rejects bad filters, cursors and limits by name', async () => {
    const bad = await api.call('viewer', { method: 'GET', url: '/v1/runs?status=nope&limit=500&since=yesterday' });
    expect(bad.statusCode).toBe(400);
    const paths = bad
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort();
    expect(paths).toEqual(['querystring.limit', 'querystring.since', 'querystring.status']);
    const cursor = await api.call('viewer', { method: 'GET', url: '/v1/runs?cursor=garbage' });
    expect(cursor.json()).toMatchObject({ status: 404, errors: [{ path: 'querystring.cursor' }] });
    const unknown = await api.call('viewer', { method: 'GET', url: '/v1/runs?colour=red' });
    expect(unknown.statusCode).toBe(400);
  });

  it('filters and pages the audit trail', async () => {
    for (let i = 0; i < 5; i++) {
      await appendEvent(api.h.db, {
        actor: i % 2 ? 'alice' : 'bob',
        action: 'run.start',
        resourceType: 'run',
        resourceId: `x${i}`,
        requestId: `req-${i}`,
      });
    }
    const alice = (await api.call('viewer', { method: 'GET', url: '/v1/events?actor=alice' })).json();
    expect(alice.items.map((e: { resourceId: string }) => e.resourceId)).toEqual(['x3', 'x1']);
    expect(alice.items[0]).toMatchObject({ action: 'run.start', requestId: 'req-3', details: {} });
    const ids = await all('/v1/events?action=run.start', 2);
    expect(ids).toHaveLength(5);
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => b - a));
  });

  it('refuses to change or delete audit events', async () => {
    await expect(api.h.db.updateTable('events').set({ actor: 'mallory' }).execute()).rejects.toThrow(/append-only/);
    await expect(api.h.db.deleteFrom('events').execute()).rejects.toThrow(/append-only/);
  });
});
