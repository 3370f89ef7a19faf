import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitoringSchema } from '../core/drift/config.js';
import { driftMonitorId, startDriftMonitor, stopDriftMonitor } from '../core/drift/monitor.js';
import { FeatureWindowObserver } from '../core/drift/observer.js';
import { loadReference } from '../core/drift/reference.js';
import { specDigest } from '../core/pipeline/hash.js';
import { parsePipelineSpec } from '../core/pipeline/index.js';
import { savePipelineVersion } from '../core/pipeline/versions.js';
import type { DriftMonitorStatus } from '../workflows/drift-monitor.js';
import { dbTargets, type OpenedDb } from './support/databases.js';
import { createHarness, type Harness } from './support/harness.js';
import { uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

// The whole drift path on real parts: PostgreSQL, the shared Temporal dev server, a worker in this
// process, a training run that ingests (and so profiles) a CSV and registers a model trained on it,
// the FeatureWindowObserver fed observations as the gateway makes them, the monitor workflow, and
// a real retraining run started with trigger `drift`.

function rng(seed: number) {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return { u, normal: () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) };
}

/** Rows as clients send them: features only (the label column of the training data stays out). */
function traffic(n: number, seed: number, shift = 0): Array<Record<string, unknown>> {
  const r = rng(seed);
  return Array.from({ length: n }, () => ({
    alcohol: 13 + r.normal() + shift,
    hue: 1 + 0.2 * r.normal() + shift * 0.2,
    color: r.u() < 0.5 + shift * 0.2 ? 'red' : 'white',
  }));
}

function trainingCsv(n: number): string {
  const rows = traffic(n, 1).map((t, i) => `${t.alcohol},${t.hue},${t.color},${i % 3}`);
  return `alcohol,hue,color,target\n${rows.join('\n')}\n`;
}

describe('drift monitoring on the real stack', () => {
  let pg: OpenedDb;
  let h: Harness;
  let root: string;
  let model: string;
  let retrainPipeline: string;
  let observer: FeatureWindowObserver;

  beforeAll(async () => {
    pg = await dbTargets()[0]!.open();
    h = await createHarness({ db: pg.db });
    root = await mkdtemp(join(tmpdir(), 'drift-'));
    await h.startInProcessWorker({ ingest: { roots: [root], hosts: [] } });
    await writeFile(join(root, 'train.csv'), trainingCsv(800));
    model = uniqueId('wine').toLowerCase();
    const training = runInput(
      planFrom(`
apiVersion: sluice/v1
name: drift-train
steps:
  - id: ingest
    kind: ingest
    source: file:${join(root, 'train.csv')}
    dataset: ${model}-data
  - id: train
    image: none
    command: [sh, -c, 'echo model > "$SLUICE_OUTPUTS_DIR/model.pkl"']
    inputs: { data: steps.ingest.outputs.dataset }
    outputs: [model.pkl]
  - id: register
    kind: register
    model: ${model}
    artifact: steps.train.outputs.model.pkl
`),
    );
    const trained = await runToEnd(h, training);
    expect(trained.error).toBeUndefined();
    retrainPipeline = uniqueId('retrain').toLowerCase();
    const parsed = parsePipelineSpec(`
apiVersion: sluice/v1
name: ${retrainPipeline}
params:
  reason: { type: string, default: schedule }
steps:
  - id: train
    image: none
    command: [sh, -c, 'echo "retrained because $REASON"']
    env: { REASON: "\${params.reason}" }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    await savePipelineVersion(h.db, { name: retrainPipeline, digest: specDigest(parsed.spec), spec: parsed.spec });
    observer = new FeatureWindowObserver({ db: h.db, flushMs: 200 });
  }, 180_000);

  const monitors: string[] = [];

  afterAll(async () => {
    // Monitors live on the shared dev server: stop them (stopping one that is gone is fine).
    for (const d of monitors) await stopDriftMonitor(h.client, d);
    await observer?.close();
    await h?.close();
    await pg?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function deploy(name: string) {
    await h.db
      .insertInto('deployment_routes')
      .values({ deployment: name, model, version: 1, url: 'http://127.0.0.1:9', weight: 100 })
      .execute();
    monitors.push(name);
    await startDriftMonitor(h.client, {
      deployment: name,
      taskQueue: h.taskQueue,
      monitoring: { intervalSeconds: 1, minWindow: 200, windowSeconds: 600 },
      retrain: { pipeline: retrainPipeline, params: { reason: 'drift' }, cooldownHours: 24 },
    });
  }

  /** Sends rows as the gateway does: one observation per request of 10 rows. */
  function send(deployment: string, rows: Array<Record<string, unknown>>) {
    for (let i = 0; i < rows.length; i += 10) {
      observer.observe({
        deployment,
        model,
        version: 1,
        requestId: uniqueId('req'),
        rows: rows.slice(i, i + 10),
        predictions: rows.slice(i, i + 10).map(() => 0),
        latencyMs: 1,
        ok: true,
        at: new Date(),
      });
    }
  }

  const status = (deployment: string) =>
    h.client.workflow.getHandle(driftMonitorId(deployment)).query<DriftMonitorStatus>('driftStatus');

  /** Waits until a check that began after now has completed, and returns its status. */
  async function nextCheck(deployment: string, after = 1): Promise<DriftMonitorStatus> {
    const start = (await status(deployment)).checks;
    return waitFor(
      `check ${start + after} of ${deployment}`,
      async () => {
        const s = await status(deployment);
        return s.checks >= start + after ? s : undefined;
      },
      60_000,
    );
  }

  const retrains = (deployment: string) =>
    h.db.selectFrom('drift_retrains').selectAll().where('deployment', '=', deployment).execute();

  it('finds the reference through lineage: the training dataset profiled by ingest', async () => {
    const ref = await loadReference(h.db, model, 1);
    expect(ref?.key).toBe(`${model}-data/1`);
    expect(ref!.features.map((f) => [f.name, f.kind])).toEqual([
      ['alcohol', 'numeric'],
      ['hue', 'numeric'],
      ['color', 'categorical'],
      ['target', 'categorical'],
    ]);
  });

  it('gives no verdict below the minimum window and starts nothing', async () => {
    const d = uniqueId('below').toLowerCase();
    await deploy(d);
    send(d, traffic(150, 2, 2));
    await observer.ready();
    await observer.flush();
    const s = await nextCheck(d, 2);
    expect(s.last).toMatchObject({ datasetDrift: null, rows: 150 });
    expect(s.last!.reason).toContain('fewer than 200');
    expect(await retrains(d)).toEqual([]);
  });

  it('unshifted traffic does not drift and starts nothing', async () => {
    const d = uniqueId('calm').toLowerCase();
    await deploy(d);
    send(d, traffic(400, 3));
    await observer.ready();
    await observer.flush();
    const s = await nextCheck(d, 2);
    expect(s.last).toMatchObject({ datasetDrift: false, rows: 400, drifted: [] });
    expect(s.last!.retrain).toBeUndefined();
    const rows = await h.db.selectFrom('drift_results').selectAll().where('deployment', '=', d).execute();
    // The label is never sent, so it is not compared.
    expect(new Set(rows.map((r) => r.feature))).toEqual(new Set(['', 'alcohol', 'hue', 'color']));
    expect(await retrains(d)).toEqual([]);
  });

  it('shifted traffic starts exactly one retrain with trigger drift; the cool-down holds on a second drift', async () => {
    const d = uniqueId('shift').toLowerCase();
    await deploy(d);
    const burst = Date.now();
    send(d, traffic(400, 4, 2));
    const started = await waitFor('a drift retrain', async () => (await retrains(d))[0], 60_000);
    const run = await waitFor(
      'the retrain run to start',
      () =>
        h.db
          .selectFrom('runs')
          .selectAll()
          .where('id', '=', started.run_id)
          .where('started_at', 'is not', null)
          .executeTakeFirst(),
      60_000,
    );
    const startedAt = run.started_at!;
    console.log(
      `drift: burst → retrain run created in ${run.created_at.getTime() - burst} ms, its workflow started in ${startedAt.getTime() - burst} ms`,
    );
    expect(run).toMatchObject({ trigger: 'drift', pipeline: retrainPipeline, params: { reason: 'drift' } });
    const report = started.report as { datasetDrift: boolean; features: Array<{ feature: string; drifted: boolean }> };
    expect(report.datasetDrift).toBe(true);
    expect(
      report.features
        .filter((f) => f.drifted)
        .map((f) => f.feature)
        .sort(),
    ).toEqual(['alcohol', 'color', 'hue']);
    await waitFor(
      'the retrain run to succeed',
      async () =>
        (await h.db.selectFrom('runs').select('status').where('id', '=', started.run_id).executeTakeFirst())?.status ===
        'succeeded',
      120_000,
    );

    // More shifted traffic: the data set still drifts, the run is over, but the cool-down holds.
    send(d, traffic(400, 5, 2));
    await observer.flush();
    const s = await nextCheck(d, 2);
    expect(s.last).toMatchObject({ datasetDrift: true, retrain: { started: false, runId: started.run_id } });
    expect((s.last!.retrain as { reason: string }).reason).toContain('cool-down');
    expect(await retrains(d)).toHaveLength(1);
    const driftRuns = await h.db
      .selectFrom('runs')
      .select('id')
      .where('trigger', '=', 'drift')
      .where('pipeline', '=', retrainPipeline)
      .execute();
    expect(driftRuns.map((r) => r.id)).toEqual([started.run_id]);
  });

  it('a retraining pipeline that refuses the run is reported, not retried', async () => {
    const d = uniqueId('refused').toLowerCase();
    await h.db
      .insertInto('deployment_routes')
      .values({ deployment: d, model, version: 1, url: 'http://127.0.0.1:9', weight: 100 })
      .execute();
    monitors.push(d);
    await startDriftMonitor(h.client, {
      deployment: d,
      taskQueue: h.taskQueue,
      monitoring: { intervalSeconds: 1, minWindow: 200 },
      retrain: { pipeline: 'no-such-pipeline' },
    });
    send(d, traffic(300, 6, 2));
    await observer.flush();
    const s = await waitFor(
      'a drifted check',
      async () => {
        const st = await status(d);
        return st.last?.datasetDrift ? st : undefined;
      },
      60_000,
    );
    expect(s.last!.retrain).toMatchObject({ started: false });
    expect((s.last!.retrain as { reason: string }).reason).toContain('no-such-pipeline');
    expect(await retrains(d)).toEqual([]);
  });

  it('continues as new with check ids that never repeat', async () => {
    const d = uniqueId('can').toLowerCase();
    await h.db
      .insertInto('deployment_routes')
      .values({ deployment: d, model, version: 1, url: 'http://127.0.0.1:9', weight: 100 })
      .execute();
    send(d, traffic(300, 7));
    await observer.flush();
    const handle = await h.client.workflow.start('driftMonitorWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: driftMonitorId(d),
      args: [{ deployment: d, monitoring: MonitoringSchema.parse({ intervalSeconds: 1 }), checksPerRun: 2 }],
    });
    const firstRun = handle.firstExecutionRunId;
    const ids = await waitFor(
      'five checks over three workflow runs',
      async () => {
        const rows = await h.db
          .selectFrom('drift_results')
          .select('check_id')
          .where('deployment', '=', d)
          .where('feature', '=', '')
          .execute();
        return rows.length >= 5 ? rows.map((r) => r.check_id) : undefined;
      },
      90_000,
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(`${d}:${firstRun.slice(0, 8)}:5`);
    expect((await handle.describe()).runId).not.toBe(firstRun);
    monitors.push(d);
  });
});
