import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openMigrated, type OpenedDb } from '../../../test/support/databases.js';
import { listEvents } from '../../access/events.js';
import { setAlias } from './aliases.js';
import { archiveModel, createModel, getModel } from './models.js';
import { fakeArtifact, tester } from '../../../test/support/registry-fixtures.js';
import { findVersion } from './versions-read.js';
import { archiveVersion, registerVersion } from './versions-write.js';

describe.each(dbTargets())('model versions on $name', (target) => {
  let o: OpenedDb;
  beforeAll(async () => {
    o = await openMigrated(target);
  });
  afterAll(async () => {
    await o?.close();
  });

  it('allocates 1..50 under 50 concurrent registrations, auto-creating the model once', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        registerVersion(
          o.db,
          { model: 'churn', artifact: fakeArtifact(`m${i}`), format: 'sklearn-pickle', metrics: { accuracy: i / 100 } },
          tester,
        ),
      ),
    );
    expect(results.map((r) => r.version.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(results.filter((r) => r.modelCreated)).toHaveLength(1);
    const rows = await o.db.selectFrom('model_versions').select('version').where('model', '=', 'churn').execute();
    expect(rows).toHaveLength(50);
    expect((await getModel(o.db, 'churn'))!.latestVersion).toBe(50);
    // Each version keeps the artifact it was registered with.
    for (const r of results) {
      const i = Math.round(r.version.metrics.accuracy! * 100);
      expect(r.version.artifact.sha256).toBe(fakeArtifact(`m${i}`).sha256);
    }
    const events = await listEvents(o.db, { action: 'model.version.register', limit: 100 });
    expect(events).toHaveLength(50);
  });

  it('replays a registration with the same idempotency key, even concurrently', async () => {
    const art = fakeArtifact('idem');
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        registerVersion(o.db, { model: 'idem', artifact: art, format: 'onnx', idempotencyKey: 'k1' }, tester),
      ),
    );
    expect(new Set(results.map((r) => r.version.version))).toEqual(new Set([1]));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const next = await registerVersion(
      o.db,
      { model: 'idem', artifact: fakeArtifact('other'), format: 'onnx' },
      tester,
    );
    expect(next.version.version).toBe(2); // the losers' rollbacks left no gap
    await expect(
      registerVersion(
        o.db,
        { model: 'idem', artifact: fakeArtifact('different'), format: 'onnx', idempotencyKey: 'k1' },
        tester,
      ),
    ).rejects.toThrow(/different artifact/);
  });

  it('archive semantics: no alias on an archived version; archiving an aliased version needs force', async () => {
    for (let i = 0; i < 3; i++)
      await registerVersion(o.db, { model: 'arch', artifact: fakeArtifact(`a${i}`), format: 'onnx' }, tester);
    await setAlias(o.db, 'arch', 'champion', 2, tester);
    await expect(archiveVersion(o.db, 'arch', 2, { force: false }, tester)).rejects.toMatchObject({ status: 409 });
    expect((await findVersion(o.db, 'arch', { version: 2 }))!.status).toBe('registered');
    const archived = await archiveVersion(o.db, 'arch', 2, { force: true }, tester);
    expect(archived).toMatchObject({ status: 'archived', aliases: [] });
    expect(archived.archivedAt).not.toBeNull();
    await expect(setAlias(o.db, 'arch', 'champion', 2, tester)).rejects.toMatchObject({ status: 409 });
    expect(await findVersion(o.db, 'arch', { alias: 'champion' })).toBeUndefined();
    expect((await findVersion(o.db, 'arch', { alias: 'latest' }))!.version).toBe(3);
    await archiveVersion(o.db, 'arch', 3, { force: false }, tester);
    expect((await findVersion(o.db, 'arch', { alias: 'latest' }))!.version).toBe(1);
    // Archived versions stay resolvable by number (reproducibility).
    expect((await findVersion(o.db, 'arch', { version: 2 }))!.artifact.sha256).toBe(fakeArtifact('a1').sha256);
    const trail = await listEvents(o.db, { resourceType: 'model_alias', resourceId: 'arch@champion', limit: 10 });
    expect(trail.map((e) => [e.action, (e.details as { reason?: string }).reason])).toEqual([
      ['model.alias.delete', 'version archived'],
      ['model.alias.set', undefined],
    ]);
  });

  it('an archived model takes no versions', async () => {
    await createModel(o.db, { name: 'old', tags: { team: 'risk' } }, tester);
    await archiveModel(o.db, 'old', { force: false }, tester);
    await expect(
      registerVersion(o.db, { model: 'old', artifact: fakeArtifact('x'), format: 'onnx' }, tester),
    ).rejects.toThrow(/archived/);
    expect((await getModel(o.db, 'old'))!.latestVersion).toBeNull();
  });
});
