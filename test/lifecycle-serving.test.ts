import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driftMonitorId } from '../core/drift/monitor.js';
import { specDigest } from '../core/pipeline/hash.js';
import { parsePipelineSpec } from '../core/pipeline/index.js';
import { savePipelineVersion } from '../core/pipeline/versions.js';
import { createApi, type ApiHarness } from './support/api.js';
import { dbTargets, type OpenedDb } from './support/databases.js';
import { fixtureSpec, rolloutDone, tearDownDeployment } from './support/deployments.js';
import { createHarness, type Harness } from './support/harness.js';
import { uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

// The serving half of the lifecycle joined up on real parts (PostgreSQL, the Temporal dev server, a
// worker and the API in this process, a model server as a real process): a model trained on an ingested
// (profiled) CSV is deployed through the API with monitoring on; predictions go through the gateway and
// match the server's own answers; shifted traffic through the gateway makes the monitor start exactly
// one retraining run with trigger `drift`.

function rng(seed: number) {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return { u, normal: () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) };
}

function rows(n: number, seed: number, shift = 0): Array<{ alcohol: number; hue: number }> {
  const r = rng(seed);
  return Array.from({ length: n }, () => ({ alcohol: 13 + r.normal() + shift, hue: 1 + 0.2 * r.normal() + shift / 5 }));
}

describe('deploy → gateway → drift → retrain', () => {
  let pg: OpenedDb;
  let h: Harness;
  let api: ApiHarness;
  let root: string;
  const model = uniqueId('served').toLowerCase();
  const deployment = uniqueId('svc').toLowerCase().slice(0, 40);
  const retrain = uniqueId('retrain').toLowerCase();

  beforeAll(async () => {
    pg = await dbTargets()[0]!.open();
    h = await createHarness({ db: pg.db });
    root = await mkdtemp(join(tmpdir(), 'sluice-serving-'));
    await h.startInProcessWorker({ ingest: { roots: [root], hosts: [] } });
    api = await createApi(h, { SLUICE_GATEWAY_FLUSH_MS: '200' });
    const training = rows(600, 1).map((t, i) => `${t.alcohol},${t.hue},${i % 3}`);
    await writeFile(join(root, 'train.csv'), `alcohol,hue,target\n${training.join('\n')}\n`);
    const trained = await runToEnd(
      h,
      runInput(
        planFrom(`
apiVersion: sluice/v1
name: serving-train
steps:
  - { id: ingest, kind: ingest, source: "file:${join(root, 'train.csv')}", dataset: ${model}-data }
  - id: train
    image: none
    command: [sh, -c, 'echo weights > "$SLUICE_OUTPUTS_DIR/model.txt"']
    inputs: { data: steps.ingest.outputs.dataset }
    outputs: [model.txt]
  - { id: register, kind: register, model: ${model}, artifact: steps.train.outputs.model.txt }
`),
      ),
    );
    expect(trained.error).toBeUndefined();
    const parsed = parsePipelineSpec(`
apiVersion: sluice/v1
name: ${retrain}
params:
  reason: { type: string, default: schedule }
steps:
  - { id: train, image: none, command: [sh, -c, 'echo "retraining: $REASON"'], env: { REASON: "\${params.reason}" } }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    await savePipelineVersion(h.db, { name: retrain, digest: specDigest(parsed.spec), spec: parsed.spec });
  }, 240_000);

  afterAll(async () => {
    await h?.client.workflow
      .getHandle(driftMonitorId(deployment))
      .terminate('test over')
      .catch(() => undefined);
    if (h) await tearDownDeployment(h.client, deployment);
    await h?.close();
    await pg?.close();
    if (root) await rm(root, { recursive: true, force: true });
  }, 60_000);

  const predict = (body: unknown) =>
    api.call('operator', { method: 'POST', url: `/v1/deployments/${deployment}/predict`, payload: body as object });

  it('serves through the gateway, and shifted traffic starts exactly one retraining run', async () => {
    const startedAt = Date.now();
    const res = await api.call('operator', {
      method: 'POST',
      url: '/v1/deployments',
      payload: {
        spec: fixtureSpec(deployment, model, {
          monitoring: { intervalSeconds: 1, minWindow: 200, windowSeconds: 600 },
          retrain: { pipeline: retrain, params: { reason: 'drift' }, cooldownHours: 24 },
        }),
        version: `models:/${model}@latest`,
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    const rollout = await rolloutDone(h.db, (res.json() as { rolloutId: string }).rolloutId, 120_000);
    expect(rollout.status, rollout.reason ?? '').toBe('succeeded');
    const rolloutMs = Date.now() - startedAt;

    // The gateway's answers are the model server's own: the fixture predicts sum(row) + 1000 × version.
    const sample = rows(5, 7);
    const served = await predict({ rows: sample });
    expect(served.statusCode, served.body).toBe(200);
    const body = served.json() as { predictions: number[]; model: string; version: number; requestId: string };
    expect(body).toMatchObject({ model, version: 1 });
    expect(served.headers['sluice-model-version']).toBe('1');
    body.predictions.forEach((p, i) => expect(p).toBeCloseTo(sample[i]!.alcohol + sample[i]!.hue + 1000, 6));

    // Traffic like the training data: the monitor judges it and finds no drift.
    for (let i = 0; i < 30; i++) expect((await predict({ rows: rows(10, 100 + i) })).statusCode).toBe(200);
    await waitFor(
      'a no-drift verdict on unshifted traffic',
      async () => {
        const d = await api.call('viewer', { method: 'GET', url: `/v1/deployments/${deployment}/drift` });
        const latest = (d.json() as { latest?: { datasetDrift?: boolean } | null }).latest;
        return latest && latest.datasetDrift === false ? latest : undefined;
      },
      60_000,
    );

    // A burst of shifted traffic: drift, and one retraining run with trigger `drift`.
    const burstAt = Date.now();
    for (let i = 0; i < 60; i++) expect((await predict({ rows: rows(10, 500 + i, 3) })).statusCode).toBe(200);
    const run = await waitFor(
      'the drift-triggered retraining run',
      () =>
        h.db
          .selectFrom('runs')
          .selectAll()
          .where('pipeline', '=', retrain)
          .where('trigger', '=', 'drift')
          .executeTakeFirst(),
      120_000,
    );
    const toRetrainMs = run.created_at.getTime() - burstAt;
    console.log(`full rollout ${rolloutMs} ms; drift-inducing burst to the retraining run's start ${toRetrainMs} ms`);
    // The cool-down holds: more shifted traffic and more checks start no second run.
    for (let i = 0; i < 30; i++) expect((await predict({ rows: rows(10, 900 + i, 3) })).statusCode).toBe(200);
    const checksBefore = await h.db
      .selectFrom('drift_results')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('deployment', '=', deployment)
      .executeTakeFirstOrThrow();
    await waitFor(
      'two more drift checks',
      async () => {
        const now = await h.db
          .selectFrom('drift_results')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('deployment', '=', deployment)
          .executeTakeFirstOrThrow();
        return Number(now.n) > Number(checksBefore.n) + 2;
      },
      60_000,
    );
    const runs = await h.db.selectFrom('runs').select('id').where('pipeline', '=', retrain).execute();
    expect(runs).toHaveLength(1);
  }, 420_000);
});
