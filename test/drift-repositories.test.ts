import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts, rowCounter } from '../core/drift/bins.js';
import { MonitoringSchema } from '../core/drift/config.js';
import { evaluateDrift } from '../core/drift/evaluate.js';
import { FeatureWindowObserver } from '../core/drift/observer.js';
import { referenceFromStats } from '../core/drift/reference.js';
import { insertResults, latestPerFeature } from '../core/drift/results.js';
import { recordRetrain, retrainGate } from '../core/drift/retrain.js';
import { sumWindows } from '../core/drift/windows.js';
import { savePipelineVersion } from '../core/pipeline/versions.js';
import { insertPendingRun } from '../core/runs/queries.js';
import { StreamProfiler } from '../core/registry/profiling/stream-profile.js';
import { dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { uniqueId } from './support/services.js';

function reference(key = 'data/1') {
  const p = new StreamProfiler();
  const rows = Array.from({ length: 100 }, (_, i) => `${i},${i % 2 ? 'a' : 'b'}`);
  p.push(Buffer.from(`x,kind\n${rows.join('\n')}\n`));
  return referenceFromStats(key, p.end());
}

describe.each(dbTargets())('drift repositories on $name', (target) => {
  let opened: OpenedDb;
  beforeAll(async () => {
    opened = await openMigrated(target);
  });
  afterAll(async () => opened?.close());

  it('gates retrains: one at a time, then one per cool-down', async () => {
    const { db } = opened;
    const d = uniqueId('dep');
    const at = new Date('2026-12-01T10:00:00Z');
    expect(await retrainGate(db, d, at, 24)).toEqual({ allowed: true });
    await savePipelineVersion(db, { name: 'retrain', digest: 'd1', spec: {} });
    const runId = uniqueId('retrain');
    await insertPendingRun(db, {
      id: runId,
      workflowId: `run-${runId}`,
      pipeline: 'retrain',
      version: 1,
      params: {},
      trigger: 'drift',
      createdBy: null,
      idempotencyKey: null,
      retryOf: null,
    });
    await recordRetrain(db, { checkId: `${d}:1`, deployment: d, pipeline: 'retrain', runId, at, report: {} });
    // A zero cool-down still waits for the running retrain.
    expect(await retrainGate(db, d, new Date(at.getTime() + 3_600_000), 0)).toMatchObject({
      allowed: false,
      reason: `retrain ${runId} is still pending`,
    });
    await db.updateTable('runs').set({ status: 'succeeded' }).where('id', '=', runId).execute();
    expect(await retrainGate(db, d, new Date(at.getTime() + 23 * 3_600_000), 24)).toMatchObject({
      allowed: false,
      reason: `cool-down after retrain ${runId} until 2026-12-02T10:00:00.000Z`,
    });
    expect(await retrainGate(db, d, new Date(at.getTime() + 24 * 3_600_000), 24)).toEqual({ allowed: true });
  });

  it('writes a retried check once and reads the newest result per feature', async () => {
    const { db } = opened;
    const d = uniqueId('dep');
    const ref = reference();
    const counts = emptyCounts(ref);
    const add = rowCounter(ref);
    for (let i = 0; i < 100; i++) add(counts, { x: i + 50, kind: 'a' });
    const report = evaluateDrift(ref, counts, MonitoringSchema.parse({}));
    const check = { checkId: `${d}:1`, deployment: d, model: 'm', version: 1, at: new Date('2026-12-01T10:00:00Z') };
    await insertResults(db, check, report);
    await insertResults(db, check, report);
    const later = { ...check, checkId: `${d}:2`, at: new Date('2026-12-01T10:01:00Z') };
    await insertResults(db, later, report);
    const all = await db.selectFrom('drift_results').selectAll().where('deployment', '=', d).execute();
    expect(all).toHaveLength(6);
    const newest = (await latestPerFeature(db)).filter((r) => r.deployment === d);
    expect(newest.map((r) => [r.feature, r.check_id])).toEqual([
      ['', `${d}:2`],
      ['kind', `${d}:2`],
      ['x', `${d}:2`],
    ]);
  });

  it('flushes observed rows as windows and sums only those counted in the same reference', async () => {
    const { db } = opened;
    const d = uniqueId('dep');
    const observer = new FeatureWindowObserver({
      db,
      flushMs: 60_000,
      // Model version 1 has data/1 as its training data, version 2 none.
      loadReference: async (_m, v) => (v === 1 ? reference() : null),
    });
    const observe = (version: number, rows: Array<Record<string, unknown>>) =>
      observer.observe({
        deployment: d,
        model: 'm',
        version,
        requestId: 'r',
        rows,
        latencyMs: 1,
        ok: true,
        at: new Date(),
      });
    observe(1, [{ x: 1, kind: 'a' }, { x: 'oops' }]);
    observe(2, [{ x: 1, kind: 'a' }]);
    await observer.ready();
    observe(1, [{ x: 1000, kind: 'z' }]);
    await observer.flush();
    observe(1, [{ x: 5, kind: 'b' }]);
    await observer.close();
    const windows = await db.selectFrom('drift_windows').selectAll().where('deployment', '=', d).execute();
    expect(windows.map((w) => [w.version, w.reference, w.rows])).toEqual([
      [1, 'data/1', 3],
      [1, 'data/1', 1],
    ]);
    const since = new Date(Date.now() - 60_000);
    const sum = await sumWindows(db, d, 1, 'data/1', since);
    expect(sum!.rows).toBe(4);
    const x = sum!.features.x as { bins: number[]; invalid: number; missing: number; overSum: number };
    expect([x.invalid, x.missing, x.overSum, x.bins[x.bins.length - 1]]).toEqual([1, 0, 1000, 1]);
    expect(await sumWindows(db, d, 1, 'data/2', since)).toBeNull();
    expect(await sumWindows(db, d, 2, 'data/1', since)).toBeNull();
  });
});
