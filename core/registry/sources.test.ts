import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets, openMigrated, type OpenedDb } from '../../test/support/databases.js';
import { LocalArtifactStore } from '../artifacts/local.js';
import type { ArtifactRef } from '../artifacts/store.js';
import { recordArtifact } from '../artifacts/records.js';
import { upsertRun, upsertStep } from '../runs/projection.js';
import { resolveSource } from './sources.js';

describe.each(dbTargets())('artifact sources on $name', (target) => {
  let o: OpenedDb;
  let dir: string;
  let store: LocalArtifactStore;
  let ref: ArtifactRef;
  beforeAll(async () => {
    o = await openMigrated(target);
    dir = await mkdtemp(join(tmpdir(), 'sluice-sources-'));
    store = new LocalArtifactStore(join(dir, 'store'));
    await writeFile(join(dir, 'model.pkl'), 'weights');
    ref = await store.putPath(join(dir, 'model.pkl'));
    for (const id of ['r1', 'r2']) {
      await upsertRun(o.db, {
        id,
        workflowId: `run-${id}`,
        pipeline: 'train',
        version: 1,
        params: {},
        trigger: 'test',
        status: 'succeeded',
      });
    }
  });
  afterAll(async () => {
    await o?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds a step output with its producer and image digest', async () => {
    await upsertStep(o.db, {
      runId: 'r1',
      stepId: 'fit',
      status: 'succeeded',
      attempt: 1,
      imageDigest: 'sha256:abc',
      outputs: { 'model.pkl': ref },
    });
    await recordArtifact(o.db, ref, { runId: 'r1', stepId: 'fit', name: 'model.pkl' });
    expect(await resolveSource(o.db, store, { source: { runId: 'r1', stepId: 'fit', output: 'model.pkl' } })).toEqual({
      artifact: ref,
      producer: { runId: 'r1', stepId: 'fit', output: 'model.pkl' },
      image: 'sha256:abc',
    });
    // By URI or digest, the first producer is the lineage.
    expect((await resolveSource(o.db, store, { artifactUri: ref.uri })).producer).toEqual({
      runId: 'r1',
      stepId: 'fit',
      output: 'model.pkl',
    });
    expect((await resolveSource(o.db, store, { artifactUri: `sha256:${ref.sha256}` })).artifact).toEqual(ref);
  });

  it('finds the output of a step served from the step cache (no artifacts row of its own)', async () => {
    await upsertStep(o.db, {
      runId: 'r2',
      stepId: 'fit',
      status: 'cached',
      attempt: 1,
      cachedFromRun: 'r1',
      outputs: { 'model.pkl': ref },
    });
    const src = await resolveSource(o.db, store, { source: { runId: 'r2', stepId: 'fit', output: 'model.pkl' } });
    expect(src).toMatchObject({ artifact: ref, producer: { runId: 'r2', stepId: 'fit' } });
  });

  it('hashes a stored artifact no step recorded, and rejects what the store does not hold', async () => {
    await writeFile(join(dir, 'other.bin'), 'uploaded elsewhere');
    const loose = await store.putPath(join(dir, 'other.bin'));
    expect(await resolveSource(o.db, store, { artifactUri: loose.uri })).toEqual({
      artifact: loose,
      producer: null,
      image: null,
    });
    const missing = loose.uri
      .replace(/[0-9a-f]{64}$/, 'f'.repeat(64))
      .replace(/\/[0-9a-f]{2}\/f{64}$/, `/ff/${'f'.repeat(64)}`);
    await expect(resolveSource(o.db, store, { artifactUri: missing })).rejects.toMatchObject({
      status: 400,
      issues: [{ path: 'body.artifactUri' }],
    });
    await expect(resolveSource(o.db, store, { artifactUri: 's3://bucket/key' })).rejects.toMatchObject({ status: 400 });
    await expect(
      resolveSource(o.db, store, { source: { runId: 'r9', stepId: 'fit', output: 'model.pkl' } }),
    ).rejects.toMatchObject({ status: 400, issues: [{ path: 'body.source' }] });
  });
});
