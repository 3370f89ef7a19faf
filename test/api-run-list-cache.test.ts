import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../core/db/connect.js';
import { createApi, type ApiHarness } from './support/api.js';
import { dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { createHarness, type Harness } from './support/harness.js';
import { testServices } from './support/services.js';
import { waitFor } from './support/wait.js';

interface Page {
  items: { id: string; status: string }[];
}

describe.each(dbTargets())('the run list cache on $name', (target) => {
  let opened: OpenedDb;
  let h: Harness;
  let api: ApiHarness;
  /** Writes as another process would (the worker): PGlite is one process, so the same handle. */
  let other: Db;
  let closeOther = async () => {};
  const pipeline = `cached-${target.name}`;
  const url = `/v1/runs?pipeline=${pipeline}&limit=50`;

  beforeAll(async () => {
    opened = await openMigrated(target);
    h = await createHarness({ db: opened.db });
    const schema = target.name === 'postgres' ? await currentSchema(opened.db) : undefined;
    api = await createApi(h, schema ? { DATABASE_URL: testServices.postgresUrl, SLUICE_DB_SCHEMA: schema } : {});
    other = opened.db;
    if (schema) {
      const { openDb } = await import('../core/db/connect.js');
      other = await openDb({ databaseUrl: testServices.postgresUrl, schema, poolSize: 1 });
      closeOther = () => other.destroy();
    }
    await other
      .insertInto('runs')
      .values([row('a', 'running'), row('b', 'pending')])
      .execute();
    if (schema) await waitFor('the API to LISTEN for run changes', () => listening(other, schema));
  });
  afterAll(async () => {
    await closeOther();
    await h?.close();
    await opened?.close();
  });

  const row = (id: string, status: 'running' | 'pending' | 'succeeded') => ({
    id: `${pipeline}-${id}`,
    workflow_id: `wf-${pipeline}-${id}`,
    pipeline,
    pipeline_version: 1,
    status,
    trigger: 'api',
    params: '{}',
  });
  const list = async (): Promise<Page> => {
    const res = await api.call('viewer', { method: 'GET', url });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    return res.json();
  };
  const statuses = (p: Page) =>
    Object.fromEntries(p.items.map((r) => [r.id.slice(pipeline.length + 1), r.status]).sort());
  /** PGlite tells the cache before the write returns; PostgreSQL's NOTIFY arrives a moment after commit. */
  const expectList = async (want: Record<string, string>) => {
    if (target.name === 'pglite') expect(statuses(await list())).toEqual(want);
    else
      await waitFor(
        `list ${JSON.stringify(want)}`,
        async () =>
          JSON.stringify(statuses(await list())) === JSON.stringify(Object.fromEntries(Object.entries(want).sort())),
      );
  };

  it('serves an active run’s new status as soon as it is committed, by any process', async () => {
    await expectList({ a: 'running', b: 'pending' });
    await other.updateTable('runs').set({ status: 'succeeded' }).where('id', '=', `${pipeline}-a`).execute();
    await expectList({ a: 'succeeded', b: 'pending' });
    await other.insertInto('runs').values(row('c', 'running')).execute();
    await expectList({ c: 'running', a: 'succeeded', b: 'pending' });
    await other.deleteFrom('runs').where('id', '=', `${pipeline}-c`).execute();
    await expectList({ a: 'succeeded', b: 'pending' });
  });

  it('keeps pages until the runs table announces a write (the trigger is what invalidates)', async () => {
    await expectList({ a: 'succeeded', b: 'pending' });
    await sql`ALTER TABLE runs DISABLE TRIGGER runs_changed`.execute(other);
    try {
      await other.updateTable('runs').set({ status: 'running' }).where('id', '=', `${pipeline}-b`).execute();
      // Unannounced, the write is not seen: the page comes from the cache.
      expect(statuses(await list())).toEqual({ a: 'succeeded', b: 'pending' });
    } finally {
      await sql`ALTER TABLE runs ENABLE TRIGGER runs_changed`.execute(other);
    }
    await other.updateTable('runs').set({ error: null }).where('id', '=', `${pipeline}-a`).execute();
    await expectList({ a: 'succeeded', b: 'running' });
  });
});

async function currentSchema(db: Db): Promise<string> {
  const r = await sql<{ s: string }>`select current_schema() as s`.execute(db);
  return r.rows[0]!.s;
}

/** The API's run change feed is up once its connection (named after the channel and schema) listens. */
async function listening(db: Db, schema: string): Promise<boolean> {
  const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
    where application_name = ${`sluice_runs:${schema}`} and query like 'LISTEN%'`.execute(db);
  return r.rows[0]!.n > 0;
}
