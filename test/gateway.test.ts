import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../core/db/connect.js';
import { LATENCY_BOUNDS_MS } from '../core/gateway/observer.js';
import { createApi, expectProblem, type ApiHarness } from './support/api.js';
import { dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { startModelServer, type ModelServer } from './support/gateway-model-server.js';
import { createHarness, type Harness } from './support/harness.js';
import { testServices } from './support/services.js';
import { waitFor } from './support/wait.js';

describe.each(dbTargets())('the inference gateway on $name', (target) => {
  let opened: OpenedDb;
  let h: Harness;
  let api: ApiHarness;
  /** Writes routes as the rollout activities would, from another process (PGlite: the same handle). */
  let other: Db;
  let closeOther = async () => {};
  let v1: ModelServer;
  let v2: ModelServer;

  beforeAll(async () => {
    opened = await openMigrated(target);
    h = await createHarness({ db: opened.db });
    const schema = target.name === 'postgres' ? await currentSchema(opened.db) : undefined;
    api = await createApi(h, {
      SLUICE_GATEWAY_FLUSH_MS: '200',
      SLUICE_GATEWAY_TIMEOUT_MS: '500',
      ...(schema ? { DATABASE_URL: testServices.postgresUrl, SLUICE_DB_SCHEMA: schema } : {}),
    });
    other = opened.db;
    if (schema) {
      other = await openDb({ databaseUrl: testServices.postgresUrl, schema, poolSize: 1 });
      closeOther = () => other.destroy();
      await waitFor('the API to LISTEN for route changes', () => listening(other, schema));
    }
    v1 = await startModelServer(1);
    v2 = await startModelServer(2);
  });
  afterAll(async () => {
    await v1?.close();
    await v2?.close();
    await closeOther();
    await h?.close();
    await opened?.close();
  });

  const route = (deployment: string, version: number, url: string, weight: number) => ({
    deployment,
    model: 'wine',
    version,
    url,
    weight,
  });
  const setRoutes = async (deployment: string, routes: ReturnType<typeof route>[]) => {
    await other.transaction().execute(async (trx) => {
      await trx.deleteFrom('deployment_routes').where('deployment', '=', deployment).execute();
      if (routes.length) await trx.insertInto('deployment_routes').values(routes).execute();
    });
  };
  const predict = (deployment: string, rows: unknown, role: 'viewer' | 'operator' = 'viewer') =>
    api.call(role, { method: 'POST', url: `/v1/deployments/${deployment}/predict`, payload: { rows } });

  it('forwards rows to the serving version and answers its predictions, model, version and request id', async () => {
    await setRoutes('fwd', [route('fwd', 1, v1.url, 100)]);
    const before = v1.received.length;
    const res = await predict('fwd', [{ x: 1 }, { x: 2, colour: 'red' }]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['sluice-model-version']).toBe('1');
    const body = res.json() as { predictions: unknown[]; model: string; version: number; requestId: string };
    expect(body).toEqual({ predictions: [11, 21], model: 'wine', version: 1, requestId: res.headers['x-request-id'] });
    expect(v1.received.slice(before)).toEqual([{ rows: [{ x: 1 }, { x: 2, colour: 'red' }] }]);
  });

  it('refuses bad input with a 400 naming the field, before any model server sees it', async () => {
    await setRoutes('bad-input', [route('bad-input', 1, v1.url, 100)]);
    const before = v1.received.length;
    expectProblem(await predict('bad-input', []), 400, 'body.rows');
    expectProblem(await predict('bad-input', undefined), 400, /body/);
    expectProblem(await predict('bad-input', [1, 2]), 400, /body\.rows\[0\]/);
    expectProblem(
      await predict(
        'bad-input',
        Array.from({ length: 1001 }, () => ({ x: 1 })),
      ),
      400,
      'body.rows',
    );
    const extra = await api.call('viewer', {
      method: 'POST',
      url: '/v1/deployments/bad-input/predict',
      payload: { rows: [{ x: 1 }], debug: true },
    });
    expectProblem(extra, 400, 'body.debug');
    expectProblem(await predict('Not_A_Name', [{ x: 1 }]), 400, 'params.name');
    expect(v1.received.length).toBe(before);
  });

  it('answers 404 for a deployment nothing was ever routed to, 503 when nothing has a share of the traffic', async () => {
    const unknown = expectProblem(await predict('ghost', [{ x: 1 }]), 404);
    expect(unknown.detail).toMatch(/deployment "ghost" does not exist/);
    await setRoutes('drained', [route('drained', 1, v1.url, 0)]);
    const drained = expectProblem(await predict('drained', [{ x: 1 }]), 503);
    expect(drained.detail).toMatch(/nothing is serving/);
  });

  it('follows the traffic split and its changes without a restart', async () => {
    await setRoutes('split', [route('split', 1, v1.url, 100), route('split', 2, v2.url, 0)]);
    const versions = async (n: number) => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const res = await predict('split', [{ x: 0 }]);
        expect(res.statusCode, res.body).toBe(200);
        seen[res.headers['sluice-model-version'] as string] =
          (seen[res.headers['sluice-model-version'] as string] ?? 0) + 1;
      }
      return seen;
    };
    expect(await versions(30)).toEqual({ 1: 30 });
    await setRoutes('split', [route('split', 1, v1.url, 0), route('split', 2, v2.url, 100)]);
    // The notification reaches the API asynchronously on PostgreSQL: wait until v2 alone answers.
    await waitFor('v2 to take all traffic', async () => (await versions(1))['2'] === 1);
    expect(await versions(30)).toEqual({ 2: 30 });
    await other.updateTable('deployment_routes').set({ weight: 50 }).where('deployment', '=', 'split').execute();
    await waitFor('v1 to get traffic again', async () => (await versions(5))['1'] !== undefined);
    const half = await versions(300);
    // 50/50 over 300 requests: a count outside 100..200 has a probability below 1e-8.
    expect(half['1']).toBeGreaterThan(100);
    expect(half['2']).toBeGreaterThan(100);
    expect(half['1']! + half['2']!).toBe(300);
  });

  it('answers 502 when the model server is down, slow, failing or not answering predictions, never echoing it', async () => {
    const down = await startModelServer(1);
    const downUrl = down.url;
    await down.close();
    await setRoutes('down', [route('down', 1, downUrl, 100)]);
    const started = Date.now();
    expect(expectProblem(await predict('down', [{ x: 1 }]), 502).detail).toMatch(/cannot be reached/);
    expect(Date.now() - started).toBeLessThan(5_000);

    const flaky = await startModelServer(3);
    try {
      await setRoutes('flaky', [route('flaky', 3, flaky.url, 100)]);
      flaky.mode = { kind: 'slow', ms: 3_000 };
      expect(expectProblem(await predict('flaky', [{ x: 1 }]), 502).detail).toMatch(/did not answer within 500 ms/);
      flaky.mode = { kind: 'status', status: 500, body: '{"detail":"Traceback: secret internals"}' };
      const failed = await predict('flaky', [{ x: 1 }]);
      expect(expectProblem(failed, 502).detail).toMatch(/answered HTTP 500/);
      expect(failed.body).not.toMatch(/secret internals/);
      flaky.mode = { kind: 'raw', body: '<html>oops</html>' };
      expect(expectProblem(await predict('flaky', [{ x: 1 }]), 502).detail).toMatch(/not JSON/);
      flaky.mode = { kind: 'raw', body: '{"predictions":[1,2,3]}' };
      expect(expectProblem(await predict('flaky', [{ x: 1 }]), 502).detail).toMatch(/3 predictions for 1 rows/);
      flaky.mode = { kind: 'status', status: 422, body: '{"detail":"feature \\"x\\" must be a number"}' };
      const refused = expectProblem(await predict('flaky', [{ x: 'a' }]), 422, 'body.rows');
      expect(refused.detail).toMatch(/model server .* refused the input: HTTP 422: feature "x" must be a number/);
      flaky.mode = { kind: 'status', status: 400, body: 'plain text\nwith lines' };
      expect(expectProblem(await predict('flaky', [{ x: 'a' }]), 400).detail).toMatch(/refused the input: HTTP 400$/);
    } finally {
      await flaky.close();
    }
  });

  it('writes per-version request, error and latency counts to gateway_stats on its flush', async () => {
    await setRoutes('stats', [route('stats', 1, v1.url, 100)]);
    for (let i = 0; i < 7; i++) expect((await predict('stats', [{ x: i }])).statusCode).toBe(200);
    v1.mode = { kind: 'status', status: 503, body: '' };
    try {
      for (let i = 0; i < 3; i++) expect((await predict('stats', [{ x: i }])).statusCode).toBe(502);
    } finally {
      v1.mode = { kind: 'ok' };
    }
    const sums = await waitFor('the stats of 10 requests to be flushed', async () => {
      const rows = await other
        .selectFrom('gateway_stats')
        .selectAll()
        .where('deployment', '=', 'stats')
        .where('version', '=', 1)
        .execute();
      const requests = rows.reduce((n, r) => n + r.requests, 0);
      return requests >= 10 ? rows : undefined;
    });
    expect(sums.reduce((n, r) => n + r.requests, 0)).toBe(10);
    expect(sums.reduce((n, r) => n + r.errors, 0)).toBe(3);
    const buckets = sums.map((r) => r.latency_counts as number[]);
    expect(buckets.every((b) => b.length === LATENCY_BOUNDS_MS.length + 1)).toBe(true);
    expect(buckets.flat().reduce((a, b) => a + b, 0)).toBe(10);
    for (const r of sums) expect(r.window_end.getTime()).toBeGreaterThanOrEqual(r.window_start.getTime());
  });

  it('exposes requests by outcome and latency per deployment and version to Prometheus', async () => {
    await setRoutes('prom', [route('prom', 4, v1.url, 100)]);
    expect((await predict('prom', [{ x: 1 }])).statusCode).toBe(200);
    const res = await api.call('viewer', { method: 'GET', url: '/metrics' });
    expect(res.body).toMatch(/^sluice_gateway_requests_total\{deployment="prom",version="4",outcome="ok"\} 1$/m);
    expect(res.body).toMatch(/^sluice_gateway_request_duration_seconds_count\{deployment="prom",version="4"\} 1$/m);
  });
});

async function currentSchema(db: Db): Promise<string> {
  const r = await sql<{ s: string }>`select current_schema() as s`.execute(db);
  return r.rows[0]!.s;
}

/** The gateway's route feed is up once its connection (named after the channel and schema) listens. */
async function listening(db: Db, schema: string): Promise<boolean> {
  const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
    where application_name = ${`sluice_deployment_routes:${schema}`} and query like 'LISTEN%'`.execute(db);
  return r.rows[0]!.n > 0;
}
