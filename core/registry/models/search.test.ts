import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openMigrated, type OpenedDb } from '../../../test/support/databases.js';
import { setAlias } from './aliases.js';
import { createModel, listModels } from './models.js';
import { fakeArtifact, tester } from '../../../test/support/registry-fixtures.js';
import { searchVersions, type VersionFilter } from './version-search.js';
import { archiveVersion, registerVersion } from './versions-write.js';

describe.each(dbTargets())('registry search on $name', (target) => {
  let o: OpenedDb;
  const acc = [0.81, 0.95, 0.92, 0.7, 0.95, 0.99];
  beforeAll(async () => {
    o = await openMigrated(target);
    for (const [i, a] of acc.entries()) {
      await registerVersion(
        o.db,
        {
          model: 'churn',
          artifact: fakeArtifact(`c${i}`),
          format: 'onnx',
          metrics: { accuracy: a, ...(i % 2 ? { f1: i } : {}) },
          tags: { stage: i < 3 ? 'dev' : 'prod', ...(i === 4 ? { owner: 'ana' } : {}) },
        },
        tester,
      );
    }
    await archiveVersion(o.db, 'churn', 6, { force: false }, tester);
    await setAlias(o.db, 'churn', 'champion', 3, tester);
    await createModel(o.db, { name: 'churn-lite', tags: { team: 'risk' } }, tester);
    await createModel(o.db, { name: 'fraud', tags: { team: 'risk', tier: 'gold' } }, tester);
    await setAlias(o.db, 'churn', 'production', 2, tester);
  });
  afterAll(async () => {
    await o?.close();
  });

  const versions = async (f: Partial<VersionFilter>) =>
    (await searchVersions(o.db, 'churn', { limit: 50, ...f })).items.map((v) => v.version);

  it('filters versions by metric with each operator, newest first, archived left out by default', async () => {
    expect(await versions({ metric: 'accuracy', op: 'gt', value: 0.9 })).toEqual([5, 3, 2]);
    expect(await versions({ metric: 'accuracy', op: 'gte', value: 0.95 })).toEqual([5, 2]);
    expect(await versions({ metric: 'accuracy', op: 'lt', value: 0.9 })).toEqual([4, 1]);
    expect(await versions({ metric: 'accuracy', op: 'eq', value: 0.95 })).toEqual([5, 2]);
    expect(await versions({ metric: 'accuracy', op: 'gt', value: 0.9, status: 'all' })).toEqual([6, 5, 3, 2]);
    expect(await versions({ metric: 'f1' })).toEqual([4, 2]); // only versions that have the metric
  });

  it('orders by a metric with stable ties and pages with a keyset cursor', async () => {
    expect(await versions({ metric: 'accuracy', order: 'metric_desc' })).toEqual([5, 2, 3, 1, 4]);
    expect(await versions({ metric: 'accuracy', order: 'metric_asc' })).toEqual([4, 1, 3, 2, 5]);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await searchVersions(o.db, 'churn', {
        metric: 'accuracy',
        order: 'metric_desc',
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((v) => v.version));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([5, 2, 3, 1, 4]);
  });

  it('filters by tags and alias, and says when the model is missing', async () => {
    expect(await versions({ tags: [{ key: 'stage', value: 'prod' }] })).toEqual([5, 4]);
    expect(await versions({ tags: [{ key: 'owner' }] })).toEqual([5]);
    expect(await versions({ tags: [{ key: 'stage', value: 'dev' }, { key: 'owner' }] })).toEqual([]);
    expect(await versions({ alias: 'champion' })).toEqual([3]);
    expect((await searchVersions(o.db, 'churn', { alias: 'champion', limit: 5 })).items[0]!.aliases).toEqual([
      'champion',
    ]);
    await expect(searchVersions(o.db, 'nope', { limit: 5 })).rejects.toMatchObject({ status: 404 });
    await expect(searchVersions(o.db, 'churn', { limit: 5, cursor: 'garbage' })).rejects.toMatchObject({ status: 404 });
  });

  it('searches models by prefix, tag and alias', async () => {
    const names = async (f: Parameters<typeof listModels>[1]) => (await listModels(o.db, f)).items.map((m) => m.name);
    expect(await names({ prefix: 'ch', limit: 10 })).toEqual(['churn', 'churn-lite']);
    expect(await names({ tags: [{ key: 'team', value: 'risk' }], limit: 10 })).toEqual(['churn-lite', 'fraud']);
    expect(await names({ tags: [{ key: 'tier' }], limit: 10 })).toEqual(['fraud']);
    expect(await names({ alias: 'production', limit: 10 })).toEqual(['churn']);
    const first = await listModels(o.db, { limit: 1 });
    expect(first.items[0]).toMatchObject({ name: 'churn', latestVersion: 6, aliases: { champion: 3, production: 2 } });
    expect(await names({ limit: 10, after: first.nextCursor! })).toEqual(['churn-lite', 'fraud']);
  });
});
