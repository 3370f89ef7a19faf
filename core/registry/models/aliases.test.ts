import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openMigrated, type OpenedDb } from '../../../test/support/databases.js';
import { listEvents } from '../../access/events.js';
import { deleteAlias, listAliases, setAlias } from './aliases.js';
import { fakeArtifact, tester } from '../../../test/support/registry-fixtures.js';
import { findVersion } from './versions-read.js';
import { archiveVersion, registerVersion } from './versions-write.js';

describe.each(dbTargets())('model aliases on $name', (target) => {
  let o: OpenedDb;
  beforeAll(async () => {
    o = await openMigrated(target);
    for (let i = 0; i < 5; i++)
      await registerVersion(o.db, { model: 'm', artifact: fakeArtifact(`v${i}`), format: 'onnx' }, tester);
  });
  afterAll(async () => {
    await o?.close();
  });

  it('20 concurrent moves leave one consistent alias and an unbroken from/to audit chain', async () => {
    const targets = Array.from({ length: 20 }, (_, i) => ((i * 7) % 5) + 1);
    const moves = await Promise.all(targets.map((v, i) => setAlias(o.db, 'm', 'champion', v, { actor: `mover-${i}` })));
    const events = (
      await listEvents(o.db, { resourceType: 'model_alias', resourceId: 'm@champion', limit: 100 })
    ).reverse();
    const steps = events.map((e) => e.details as { from: number | null; to: number });
    expect(steps).toHaveLength(moves.filter((m) => m.changed).length);
    expect(steps[0]!.from).toBeNull();
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.from).toBe(steps[i - 1]!.to);
    const final = (await listAliases(o.db, 'm')).find((a) => a.alias === 'champion')!;
    expect(final.version).toBe(steps.at(-1)!.to);
    expect((await findVersion(o.db, 'm', { alias: 'champion' }))!.version).toBe(final.version);
    // Every reported previousVersion is a version the alias really held.
    for (const m of moves.filter((x) => x.changed && x.previousVersion !== null))
      expect(steps.some((s) => s.to === m.previousVersion)).toBe(true);
  });

  it('alias moves race archival without ever pointing at an archived version', async () => {
    await setAlias(o.db, 'm', 'staging', 1, tester);
    const racers = await Promise.allSettled([
      ...Array.from({ length: 10 }, () => setAlias(o.db, 'm', 'staging', 4, tester)),
      archiveVersion(o.db, 'm', 4, { force: true }, tester),
    ]);
    expect(racers.at(-1)!.status).toBe('fulfilled');
    const staging = (await listAliases(o.db, 'm')).find((a) => a.alias === 'staging');
    if (staging) expect(staging.version).not.toBe(4);
    for (const r of racers.slice(0, -1))
      if (r.status === 'rejected') expect((r.reason as { status: number }).status).toBe(409);
  });

  it('deletes aliases and refuses the reserved name', async () => {
    await setAlias(o.db, 'm', 'canary', 2, tester);
    expect(await deleteAlias(o.db, 'm', 'canary', tester)).toBe(2);
    await expect(deleteAlias(o.db, 'm', 'canary', tester)).rejects.toMatchObject({ status: 404 });
    await expect(setAlias(o.db, 'm', 'latest', 2, tester)).rejects.toMatchObject({ status: 400 });
    await expect(setAlias(o.db, 'nope', 'champion', 1, tester)).rejects.toMatchObject({ status: 404 });
  });
});
