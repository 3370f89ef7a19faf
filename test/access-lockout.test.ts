import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey, listApiKeys, revokeApiKey } from '../core/access/api-keys.js';
import { KeyCheck } from '../core/access/key-check.js';
import type { Db } from '../core/db/connect.js';
import { ConflictError } from '../core/errors.js';
import { dbTargets, openMigrated, type OpenedDb } from './support/databases.js';

const by = { actor: 'test' };

describe.each(dbTargets())('API keys on $name: no lock-out, prefixes, last use', (target) => {
  let opened: OpenedDb;
  let db: Db;
  beforeAll(async () => {
    opened = await openMigrated(target);
    db = opened.db;
  });
  afterAll(() => opened?.close());

  it('refuses to revoke the last admin key that is active and never expires', async () => {
    const first = await issueApiKey(db, by, { name: 'first', role: 'admin' });
    const second = await issueApiKey(db, by, { name: 'second', role: 'admin' });
    const expiring = await issueApiKey(db, by, {
      name: 'expiring',
      role: 'admin',
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const viewer = await issueApiKey(db, by, { name: 'viewer', role: 'viewer' });

    expect((await revokeApiKey(db, by, first.id)).revokedAt).not.toBeNull();
    // The expiring admin key would leave everyone locked out once it expires.
    const refused = revokeApiKey(db, by, second.id);
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow(/last active admin key that does not expire/);
    expect((await revokeApiKey(db, by, expiring.id)).revokedAt).not.toBeNull();
    expect((await revokeApiKey(db, by, viewer.id)).revokedAt).not.toBeNull();
    // Revoking an already revoked key stays harmless.
    expect((await revokeApiKey(db, by, first.id)).revokedAt).not.toBeNull();

    const keys = await listApiKeys(db);
    expect(keys.find((k) => k.id === second.id)?.revokedAt).toBeNull();
    const audit = await db.selectFrom('events').select('resource_id').where('action', '=', 'key.revoke').execute();
    expect(audit.map((e) => e.resource_id)).not.toContain(second.id);
  });

  it('two revocations at once cannot both pass the check', async () => {
    const a = await issueApiKey(db, by, { name: 'race-a', role: 'admin' });
    const b = await issueApiKey(db, by, { name: 'race-b', role: 'admin' });
    const lasting = (await listApiKeys(db)).filter(
      (k) => k.role === 'admin' && !k.revokedAt && !k.expiresAt && ![a.id, b.id].includes(k.id),
    );
    for (const k of lasting) await revokeApiKey(db, by, k.id);
    const results = await Promise.allSettled([revokeApiKey(db, by, a.id), revokeApiKey(db, by, b.id)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(
      ConflictError,
    );
  });

  it('lists each key with the prefix of its secret and when it was last used', async () => {
    const k = await issueApiKey(db, by, { name: 'prefixed', role: 'operator' });
    expect(k.prefix).toBe(k.key.slice(0, 12));
    expect(k.prefix).toMatch(/^slk_.{8}$/);
    const before = (await listApiKeys(db)).find((x) => x.id === k.id)!;
    expect(before).toMatchObject({ prefix: k.prefix, lastUsedAt: null });

    const check = new KeyCheck(db);
    await check.principal(k.key);
    const used = (await listApiKeys(db)).find((x) => x.id === k.id)!.lastUsedAt;
    expect(used).not.toBeNull();
    // Within the minute, authenticating again writes nothing.
    check.forget();
    await check.principal(k.key);
    expect((await listApiKeys(db)).find((x) => x.id === k.id)!.lastUsedAt).toBe(used);
  });
});
