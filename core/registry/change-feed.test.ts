import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dbTargets, openMigrated, type OpenedDb } from '../../test/support/databases.js';
import { fakeArtifact, tester } from '../../test/support/registry-fixtures.js';
import { audited } from '../access/audit.js';
import { listEvents } from '../access/events.js';
import { onRegistryChange } from './change-feed.js';
import { listAliases, setAlias } from './models/aliases.js';
import { registerVersion, updateVersion } from './models/versions-write.js';

describe.each(dbTargets())('registry writes in a caller-owned unit of work on $name', (target) => {
  let o: OpenedDb;
  let heard: Array<string | null>;
  let off: () => void;
  beforeAll(async () => {
    o = await openMigrated(target);
    for (let i = 0; i < 2; i++)
      await registerVersion(o.db, { model: 'm', artifact: fakeArtifact(`v${i}`), format: 'onnx' }, tester);
  });
  afterAll(async () => {
    await o?.close();
  });
  beforeEach(() => {
    heard = [];
    off = onRegistryChange((m) => heard.push(m));
  });
  afterEach(() => off());

  it('tell this process about each change only once the outer transaction commits', async () => {
    await audited(o.db, tester, async (uow) => {
      await setAlias(uow.trx, 'm', 'champion', 1, tester);
      await updateVersion(uow.trx, 'm', 2, { description: 'second' }, tester);
      expect(heard).toEqual([]);
    });
    expect(heard).toEqual(['m', 'm']);
  });

  it('leave neither the write, its audit event nor a notification when the caller rolls back', async () => {
    await expect(
      audited(o.db, tester, async (uow) => {
        await setAlias(uow.trx, 'm', 'staging', 1, tester);
        throw new Error('caller gives up');
      }),
    ).rejects.toThrow('caller gives up');
    expect(heard).toEqual([]);
    expect((await listAliases(o.db, 'm')).map((a) => a.alias)).not.toContain('staging');
    expect(await listEvents(o.db, { resourceType: 'model_alias', resourceId: 'm@staging', limit: 10 })).toEqual([]);
  });
});
