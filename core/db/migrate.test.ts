import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueId } from '../../test/support/services.js';
import { dbTargets } from '../../test/support/databases.js';
import { openDb } from './connect.js';
import { migrateToLatest } from './migrate.js';
import { migrations } from './migrations/index.js';

describe.each(dbTargets())('migrations on $name', ({ open }) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('migrate to latest, idempotently, and keep events append-only', async () => {
    const { db, close } = await open();
    cleanups.push(close);
    expect(await migrateToLatest(db)).toEqual(Object.keys(migrations));
    expect(await migrateToLatest(db)).toEqual([]);

    const tables = (await db.introspection.getTables()).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining(['pipelines', 'runs', 'run_steps', 'artifacts', 'api_keys', 'events']),
    );

    const id = uniqueId('run');
    await db
      .insertInto('events')
      .values({ actor: 'test', action: 'run.start', resource_type: 'run', resource_id: id })
      .execute();
    await expect(sql`UPDATE events SET actor = 'x' WHERE resource_id = ${id}`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(db.deleteFrom('events').where('resource_id', '=', id).execute()).rejects.toThrow(/append-only/);
  });
});

describe('embedded PGlite', () => {
  it('persists on disk across reopen', async () => {
    const dir = `/tmp/${uniqueId('pglite')}`;
    const first = await openDb({ pgliteDir: dir });
    await migrateToLatest(first);
    await first.insertInto('api_keys').values({ id: 'k1', name: 'n', role: 'admin', key_hash: 'h' }).execute();
    await first.destroy();
    const second = await openDb({ pgliteDir: dir });
    expect(await migrateToLatest(second)).toEqual([]);
    expect((await second.selectFrom('api_keys').select('id').execute()).map((r) => r.id)).toEqual(['k1']);
    await second.destroy();
  });
});
