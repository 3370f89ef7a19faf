import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openMigrated, type OpenedDb } from '../../../test/support/databases.js';
import { testServices } from '../../../test/support/services.js';
import { waitFor } from '../../../test/support/wait.js';
import { setAlias } from './aliases.js';
import { CHANGE_CHANNEL, listenForRegistryChanges, onRegistryChange, type ChangeListener } from '../change-feed.js';
import { fakeArtifact, tester } from '../../../test/support/registry-fixtures.js';
import { VersionCache } from './version-cache.js';
import { registerVersion } from './versions-write.js';

describe('version cache', () => {
  const pgTarget = dbTargets().find((t) => t.name === 'postgres')!;
  let o: OpenedDb;
  let other: pg.Client;
  let feed: ChangeListener;
  let cache: VersionCache;
  beforeAll(async () => {
    o = await openMigrated(pgTarget);
    for (let i = 0; i < 3; i++)
      await registerVersion(o.db, { model: 'm', artifact: fakeArtifact(`v${i}`), format: 'onnx' }, tester);
    await setAlias(o.db, 'm', 'champion', 1, tester);
    const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(o.db);
    // Another process: a plain connection that writes and notifies the way the repositories do.
    other = new pg.Client({ connectionString: testServices.postgresUrl, options: `-c search_path=${rows[0]!.s}` });
    await other.connect();
    feed = listenForRegistryChanges(testServices.postgresUrl);
    await waitFor('the change feed to listen', () => feed.up, 5_000);
    cache = new VersionCache(o.db, () => feed.up);
  });
  afterAll(async () => {
    cache?.close();
    await feed?.stop();
    await other?.end();
    await o?.close();
  });

  const otherProcessMoves = async (version: number, notify: boolean) => {
    await other.query('BEGIN');
    await other.query(`UPDATE model_aliases SET version = $1 WHERE model = 'm' AND alias = 'champion'`, [version]);
    if (notify) await other.query(`SELECT pg_notify($1, 'm')`, [CHANGE_CHANNEL]);
    await other.query('COMMIT');
  };

  it("serves repeated reads from memory and evicts on this process' own writes at once", async () => {
    expect((await cache.get('m', { alias: 'champion' })).version).toBe(1);
    await otherProcessMoves(3, false); // a write that never announces itself...
    expect((await cache.get('m', { alias: 'champion' })).version).toBe(1); // ...is not seen: the read was cached
    await setAlias(o.db, 'm', 'champion', 2, tester);
    expect((await cache.get('m', { alias: 'champion' })).version).toBe(2);
    await registerVersion(o.db, { model: 'm', artifact: fakeArtifact('v4'), format: 'onnx' }, tester);
    expect((await cache.get('m', { alias: 'latest' })).version).toBe(4);
  });

  it("evicts on another process' committed write through LISTEN/NOTIFY", async () => {
    expect((await cache.get('m', { alias: 'champion' })).version).toBe(2);
    const heard: Array<string | null> = [];
    const off = onRegistryChange((m) => heard.push(m));
    await otherProcessMoves(3, true);
    // Both, each in its own time: under load the cache can bypass itself (feed reconnecting) and
    // read 3 before the notification reaches this listener.
    await waitFor(
      'the cache to see champion move to 3',
      async () => (await cache.get('m', { alias: 'champion' })).version === 3,
      30_000,
    );
    await waitFor('the change notification for m', () => heard.includes('m'), 30_000);
    off();
    expect(heard).toContain('m');
  });

  it('bypasses itself while the change feed is down', async () => {
    expect((await cache.get('m', { alias: 'champion' })).version).toBe(3);
    await feed.stop();
    expect(feed.up).toBe(false);
    await otherProcessMoves(1, false);
    expect((await cache.get('m', { alias: 'champion' })).version).toBe(1);
    await expect(cache.get('m', { alias: 'nope' })).rejects.toMatchObject({ status: 404 });
  });
});
