import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emptyCounts, rowCounter } from '../core/drift/bins.js';
import { MonitoringSchema } from '../core/drift/config.js';
import { evaluateDrift } from '../core/drift/evaluate.js';
import { referenceFromStats } from '../core/drift/reference.js';
import { insertResults } from '../core/drift/results.js';
import { recordRetrain } from '../core/drift/retrain.js';
import { StreamProfiler } from '../core/registry/profiling/stream-profile.js';
import type { DriftView } from '../core/drift/views.js';
import { expectProblem, useApi } from './support/api.js';
import { uniqueId } from './support/services.js';

// GET /v1/deployments/{name}/drift and the Prometheus drift gauges over real stored results.

function reference() {
  const p = new StreamProfiler();
  const rows = Array.from({ length: 300 }, (_, i) => `${(i * 37) % 100},${i % 2 ? 'a' : 'b'}`);
  p.push(Buffer.from(`x,kind\n${rows.join('\n')}\n`));
  return referenceFromStats('data/1', p.end());
}

async function storeCheck(db: Parameters<typeof insertResults>[0], deployment: string, seq: number, shift: number) {
  const ref = reference();
  const counts = emptyCounts(ref);
  const add = rowCounter(ref);
  for (let i = 0; i < 300; i++) add(counts, { x: ((i * 37) % 100) + shift, kind: i % 2 ? 'a' : shift ? 'c' : 'b' });
  const report = evaluateDrift(ref, counts, MonitoringSchema.parse({}));
  await insertResults(
    db,
    {
      checkId: `${deployment}:c:${seq}`,
      deployment,
      model: 'm',
      version: 1,
      at: new Date(Date.UTC(2026, 11, 1, 0, seq)),
    },
    report,
  );
  return report;
}

describe('drift surfaces', () => {
  const api = useApi();

  it('serves the latest verdict, the retrains and a paged series to a viewer', async () => {
    const d = uniqueId('dep').toLowerCase();
    await storeCheck(api.h.db, d, 1, 0);
    const drifted = await storeCheck(api.h.db, d, 2, 60);
    expect(drifted.datasetDrift).toBe(true);
    await recordRetrain(api.h.db, {
      checkId: `${d}:c:2`,
      deployment: d,
      pipeline: 'retrain',
      runId: 'retrain-1',
      at: new Date(Date.UTC(2026, 11, 1, 0, 2)),
      report: drifted,
    });

    const res = await api.call('viewer', { method: 'GET', url: `/v1/deployments/${d}/drift?limit=2` });
    expect(res.statusCode).toBe(200);
    const view = res.json<DriftView>();
    expect(view.latest).toMatchObject({
      checkId: `${d}:c:2`,
      datasetDrift: true,
      share: 1,
      driftShare: 0.5,
      rows: 300,
    });
    // A category the reference never had makes chi-square infinite: served as null, drifted.
    expect(view.latest!.features).toEqual([
      expect.objectContaining({ feature: 'kind', method: 'chi2', statistic: null, pValue: 0, drifted: true }),
      expect.objectContaining({ feature: 'x', method: 'ks', drifted: true }),
    ]);
    expect(view.retrains).toEqual([
      { runId: 'retrain-1', pipeline: 'retrain', at: '2026-12-01T00:02:00.000Z', checkId: `${d}:c:2` },
    ]);
    expect(view.series.items).toHaveLength(2);
    expect(view.series.nextCursor).not.toBeNull();
    const seen = [...view.series.items];
    let cursor = view.series.nextCursor;
    while (cursor) {
      const page = (
        await api.call('viewer', { method: 'GET', url: `/v1/deployments/${d}/drift?limit=2&cursor=${cursor}` })
      ).json<DriftView>();
      seen.push(...page.series.items);
      cursor = page.series.nextCursor;
    }
    // Two checks of two features and a data set row each, each row once.
    expect(seen).toHaveLength(6);
    expect(seen.filter((p) => p.feature === '').map((p) => p.drifted)).toEqual([true, false]);

    const one = (
      await api.call('viewer', { method: 'GET', url: `/v1/deployments/${d}/drift?feature=x` })
    ).json<DriftView>();
    expect(one.series.items.map((p) => [p.feature, p.checkId])).toEqual([
      ['x', `${d}:c:2`],
      ['x', `${d}:c:1`],
    ]);
  });

  it('answers 404 for an unknown deployment and 400 naming a bad field', async () => {
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/deployments/ghost/drift' }), 404);
    const bad = await api.call('viewer', { method: 'GET', url: '/v1/deployments/ghost/drift?limit=0' });
    expectProblem(bad, 400, 'querystring.limit');
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/deployments/ghost/drift?cursor=nope' }), 404);
  });

  it('exposes drift gauges per deployment and feature on /metrics', async () => {
    const d = uniqueId('gauge').toLowerCase();
    await storeCheck(api.h.db, d, 1, 60);
    const body = (await api.call('viewer', { method: 'GET', url: '/metrics' })).body;
    expect(body).toContain(`sluice_drift_drifted{deployment="${d}",feature="",method="share"} 1`);
    expect(body).toContain(`sluice_drift_drifted{deployment="${d}",feature="x",method="ks"} 1`);
    expect(body).toMatch(new RegExp(`sluice_drift_statistic\\{deployment="${d}",feature="",method="share"\\} 1\\b`));
    expect(body).toMatch(new RegExp(`sluice_drift_check_timestamp_seconds\\{deployment="${d}"\\} \\d+`));
  });

  it('sluice drift DEPLOYMENT prints the features as a table', async () => {
    const d = uniqueId('cli').toLowerCase();
    await storeCheck(api.h.db, d, 1, 60);
    const address = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const root = fileURLToPath(new URL('..', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [join(root, 'bin/sluice.js'), 'drift', d],
        {
          timeout: 60_000,
          env: { PATH: process.env.PATH, SLUICE_API_URL: address, SLUICE_API_KEY: api.keys.viewer, NO_COLOR: '1' },
        },
        (error, out, err) => (error ? reject(new Error(`${error.message}: ${err}`)) : resolve(out)),
      ),
    );
    expect(stdout).toContain('DRIFT: 100% of features drifted (threshold 50%), 300 rows vs data/1, m v1');
    expect(stdout).toMatch(/^FEATURE\s+METHOD\s+STATISTIC\s+P-VALUE\s+THRESHOLD\s+DRIFTED\s+N/m);
    expect(stdout).toMatch(/^kind\s+chi2\s+∞\s+0\.0000\s+0\.05\s+yes\s+300/m);
    expect(stdout).toMatch(/^x\s+ks\s+\d\.\d{4}\s+\S+\s+0\.05\s+yes\s+300/m);
  });
});
