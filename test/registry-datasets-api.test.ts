import { describe, expect, it } from 'vitest';
import { expectProblem, useApi } from './support/api.js';
import { multipart } from './support/multipart.js';

const CSV =
  'customer_id,tenure,monthly,plan,churned\n' +
  Array.from(
    { length: 500 },
    (_, i) =>
      `${i},${i % 72},${(20 + (i % 50) * 1.5).toFixed(2)},${['basic', 'pro', '"team, xl"'][i % 3]},${i % 4 === 0}`,
  ).join('\n') +
  '\n';

describe('datasets API', () => {
  let csvUri = '';
  const api = useApi();

  const upload = (name: string, metadata: unknown, body: string, filename = 'data.csv') =>
    api.call('operator', {
      method: 'POST',
      url: `/v1/datasets/${name}/versions/upload`,
      ...multipart([
        { name: 'metadata', value: JSON.stringify(metadata) },
        { name: 'file', value: body, filename },
      ]),
    });

  it('uploads a CSV and profiles it: rows, schema and per-column statistics', async () => {
    const res = await upload('churn-data', { sourceUri: 'warehouse://crm.customers', tags: { pii: 'no' } }, CSV);
    expect(res.statusCode, res.body).toBe(201);
    const v = res.json();
    csvUri = v.artifact.uri;
    expect(v).toMatchObject({
      dataset: 'churn-data',
      version: 1,
      uri: 'datasets:/churn-data/1',
      format: 'csv',
      rowCount: 500,
      hasStats: true,
      sourceUri: 'warehouse://crm.customers',
      artifact: { size: Buffer.byteLength(CSV) },
      schema: {
        columns: [
          { name: 'customer_id', type: 'integer' },
          { name: 'tenure', type: 'integer' },
          { name: 'monthly', type: 'number' },
          { name: 'plan', type: 'string' },
          { name: 'churned', type: 'boolean' },
        ],
      },
    });
    const stats = await api.call('viewer', { method: 'GET', url: '/v1/datasets/churn-data/versions/1/stats' });
    expect(stats.statusCode, stats.body).toBe(200);
    const cols = Object.fromEntries((stats.json().columns as Array<{ name: string }>).map((c) => [c.name, c]));
    expect(cols.tenure).toMatchObject({ count: 500, nulls: 0, min: 0, max: 71, distinct: 72 });
    expect(cols.plan).toMatchObject({
      distinct: 3,
      topValues: expect.arrayContaining([{ value: 'team, xl', count: 166 }]),
    });
    expect(cols.churned).toMatchObject({ trueCount: 125 });
    const dl = await api.call('viewer', { method: 'GET', url: '/v1/datasets/churn-data/versions/latest/artifact' });
    expect(dl.body).toBe(CSV);
    expect(dl.headers['content-disposition']).toContain('churn-data-v1.csv');
  });

  it('registers from a stored artifact, with explicit stats or none for opaque formats', async () => {
    const again = await api.call('operator', {
      method: 'POST',
      url: '/v1/datasets/churn-data/versions',
      payload: { artifactUri: csvUri, format: 'csv', idempotencyKey: 'k' },
    });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json()).toMatchObject({ version: 2, rowCount: 500, artifact: { uri: csvUri } });
    expect(
      (
        await api.call('operator', {
          method: 'POST',
          url: '/v1/datasets/churn-data/versions',
          payload: { artifactUri: csvUri, format: 'csv', idempotencyKey: 'k' },
        })
      ).statusCode,
    ).toBe(200);
    const opaque = await api.call('operator', {
      method: 'POST',
      url: '/v1/datasets/churn-data/versions',
      payload: { artifactUri: csvUri, format: 'parquet' },
    });
    expect(opaque.json()).toMatchObject({ version: 3, rowCount: null, schema: null, hasStats: false });
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/datasets/churn-data/versions/3/stats' }), 404);
    const explicit = await api.call('operator', {
      method: 'POST',
      url: '/v1/datasets/churn-data/versions',
      payload: {
        artifactUri: csvUri,
        format: 'parquet',
        schema: { columns: [{ name: 'x', type: 'number' }] },
        stats: {
          rowCount: 7,
          columns: [
            { name: 'x', type: 'number', count: 7, nulls: 0, distinct: 7, distinctCapped: false, min: 0, max: 1 },
          ],
        },
      },
    });
    expect(explicit.json()).toMatchObject({
      version: 4,
      rowCount: 7,
      schema: { columns: [{ name: 'x', type: 'number' }] },
      hasStats: true,
    });
    const list = await api.call('viewer', { method: 'GET', url: '/v1/datasets/churn-data/versions?limit=2' });
    expect(list.json().items.map((v: { version: number }) => v.version)).toEqual([4, 3]);
    const rest = await api.call('viewer', {
      method: 'GET',
      url: `/v1/datasets/churn-data/versions?cursor=${list.json().nextCursor}`,
    });
    expect(rest.json().items.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it('rejects bad data and bad requests, naming the field', async () => {
    expectProblem(await upload('broken', {}, 'a,b\n1,2\n3\n'), 400, 'file');
    expectProblem(await upload('broken', {}, 'a,"b\n1,2\n'), 400, 'file');
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/datasets/broken' }), 404); // nothing was registered
    const post = (payload: object) =>
      api.call('operator', { method: 'POST', url: '/v1/datasets/churn-data/versions', payload });
    expectProblem(await post({}), 400, 'body.source');
    expectProblem(await post({ artifactUri: 'file:///etc/passwd' }), 400, 'body.artifactUri');
    expectProblem(await post({ source: { runId: 'nope', stepId: 'a', output: 'b' } }), 400, 'body.source');
    expectProblem(
      await post({ artifactUri: csvUri, schema: { columns: [{ name: 'x', type: 'float128' }] } }),
      400,
      'body.schema.columns[0].type',
    );
    expectProblem(
      await post({ artifactUri: csvUri, stats: { rowCount: -1, columns: [] } }),
      400,
      'body.stats.rowCount',
    );
    expectProblem(
      await api.call('viewer', {
        method: 'POST',
        url: '/v1/datasets/churn-data/versions',
        payload: { artifactUri: csvUri },
      }),
      403,
    );
    expectProblem(
      await api.call('viewer', { method: 'GET', url: '/v1/datasets/churn-data/versions/abc' }),
      400,
      'params.version',
    );
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/datasets/churn-data/versions/99' }), 404);
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/datasets/nope/versions' }), 404);
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/datasets/NOPE' }), 400, 'params.name');
  });

  it('creates, lists, searches and updates datasets', async () => {
    expect(
      (
        await api.call('operator', {
          method: 'POST',
          url: '/v1/datasets',
          payload: { name: 'churn-eval', tags: { split: 'test' } },
        })
      ).statusCode,
    ).toBe(201);
    expectProblem(
      await api.call('operator', { method: 'POST', url: '/v1/datasets', payload: { name: 'churn-eval' } }),
      409,
    );
    const names = async (qs: string) =>
      (
        (await api.call('viewer', { method: 'GET', url: `/v1/datasets?${qs}` })).json() as {
          items: Array<{ name: string }>;
        }
      ).items.map((d) => d.name);
    expect(await names('prefix=churn')).toEqual(['churn-data', 'churn-eval']);
    expect(await names('tag=split:test')).toEqual(['churn-eval']);
    const patched = await api.call('operator', {
      method: 'PATCH',
      url: '/v1/datasets/churn-data',
      payload: { description: 'CRM export', tags: { owner: 'crm' } },
    });
    expect(patched.json()).toMatchObject({ description: 'CRM export', tags: { owner: 'crm' }, latestVersion: 4 });
    expect(
      (await api.call('viewer', { method: 'GET', url: '/v1/registry/resolve?uri=datasets:/churn-data@latest' })).json(),
    ).toMatchObject({ kind: 'dataset_version', datasetVersion: { version: 4 } });
  });
});
