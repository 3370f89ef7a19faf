import { createHash } from 'node:crypto';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listEvents } from '../core/access/events.js';
import { expectProblem, useApi } from './support/api.js';
import { multipart } from './support/multipart.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('model registry API', () => {
  const modelBytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
  let uploadedUri = '';
  const api = useApi();

  const upload = (
    name: string,
    metadata: unknown,
    bytes: Buffer = modelBytes,
    role: 'operator' | 'viewer' = 'operator',
  ) =>
    api.call(role, {
      method: 'POST',
      url: `/v1/models/${name}/versions/upload`,
      ...multipart([
        { name: 'metadata', value: JSON.stringify(metadata) },
        { name: 'file', value: bytes, filename: 'model.onnx' },
      ]),
    });

  it('creates models, with clear errors for bad names, duplicates and roles', async () => {
    const ok = await api.call('operator', {
      method: 'POST',
      url: '/v1/models',
      payload: { name: 'churn', description: 'churn model', tags: { team: 'risk' } },
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({
      name: 'churn',
      status: 'active',
      latestVersion: null,
      tags: { team: 'risk' },
      createdBy: 'test-operator',
    });
    expectProblem(await api.call('operator', { method: 'POST', url: '/v1/models', payload: { name: 'churn' } }), 409);
    expectProblem(
      await api.call('operator', { method: 'POST', url: '/v1/models', payload: { name: 'Bad Name!' } }),
      400,
      'body.name',
    );
    expectProblem(
      await api.call('operator', {
        method: 'POST',
        url: '/v1/models',
        payload: { name: 'x', tags: { 'bad key': 'v' } },
      }),
      400,
      /^body\.tags/,
    );
    expectProblem(
      await api.call('operator', { method: 'POST', url: '/v1/models', payload: { name: 'x', colour: 'red' } }),
      400,
    );
    expectProblem(await api.call('viewer', { method: 'POST', url: '/v1/models', payload: { name: 'x' } }), 403);
    expectProblem(await api.call(undefined, { method: 'GET', url: '/v1/models' }), 401);
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/models/nope' }), 404);
  });

  it('uploads a version as a multipart stream and downloads it with its sha256', async () => {
    const res = await upload('churn', {
      metrics: { accuracy: 0.91, auc: 0.8 },
      params: { C: 1, solver: 'lbfgs' },
      tags: { stage: 'dev' },
      signature: { inputs: [{ name: 'age', type: 'double' }], outputs: [{ type: 'long' }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const v = res.json();
    expect(v).toMatchObject({
      model: 'churn',
      version: 1,
      uri: 'models:/churn/1',
      status: 'registered',
      format: 'onnx',
      artifact: { sha256: sha(modelBytes), size: modelBytes.length, kind: 'file' },
      metrics: { accuracy: 0.91 },
      lineage: { runId: null, datasets: [] },
      createdBy: 'test-operator',
    });
    uploadedUri = v.artifact.uri;
    const dl = await api.call('viewer', { method: 'GET', url: '/v1/models/churn/versions/1/artifact' });
    expect(dl.statusCode).toBe(200);
    expect(dl.rawPayload.equals(modelBytes)).toBe(true);
    expect(dl.headers.etag).toBe(`"sha256:${sha(modelBytes)}"`);
    expect(dl.headers['repr-digest']).toBe(`sha-256=:${Buffer.from(sha(modelBytes), 'hex').toString('base64')}:`);
    expect(dl.headers['content-disposition']).toContain('churn-v1.onnx');
    const cached = await api.call('viewer', {
      method: 'GET',
      url: '/v1/models/churn/versions/1/artifact',
      headers: { 'if-none-match': dl.headers.etag as string },
    });
    expect(cached.statusCode).toBe(304);
  });

  it('rejects bad uploads naming the field, before storing anything for bad metadata', async () => {
    const stored = async () => (await readdir(join(api.h.dir, 'artifacts', 'sha256'), { recursive: true })).length;
    const before = await stored();
    expectProblem(await upload('churn', { metrics: { accuracy: 'high' } }), 400, 'metadata.metrics.accuracy');
    expectProblem(await upload('churn', { source: { runId: 'r', stepId: 's', output: 'o' } }), 400, 'metadata');
    const notJson = await api.call('operator', {
      method: 'POST',
      url: '/v1/models/churn/versions/upload',
      ...multipart([
        { name: 'metadata', value: '{nope' },
        { name: 'file', value: 'x', filename: 'm.bin' },
      ]),
    });
    expectProblem(notJson, 400, 'metadata');
    const noFile = await api.call('operator', {
      method: 'POST',
      url: '/v1/models/churn/versions/upload',
      ...multipart([{ name: 'metadata', value: '{}' }]),
    });
    expectProblem(noFile, 400, 'file');
    expectProblem(
      await api.call('operator', { method: 'POST', url: '/v1/models/churn/versions/upload', payload: { a: 1 } }),
      400,
      'body',
    );
    expectProblem(await upload('churn', {}, modelBytes, 'viewer'), 403);
    expect((await api.call('viewer', { method: 'GET', url: '/v1/models/churn' })).json().latestVersion).toBe(1);
    expect(await stored()).toBe(before);
  });

  it('refuses or aborts a download whose stored bytes no longer match the sha256', async () => {
    const tamper = async (name: string, bytes: Buffer<ArrayBuffer>) => {
      const path = new URL((await upload(name, {}, bytes)).json().artifact.uri).pathname;
      await chmod(path, 0o644);
      await writeFile(path, Buffer.from(bytes).fill(7, bytes.length - 10)); // same length, different tail
    };
    // One chunk: the mismatch is found before any byte is sent, so it is a clean 500 problem.
    await tamper('tampered-small', Buffer.from('original bytes of a model'));
    const small = await api.call('viewer', { method: 'GET', url: '/v1/models/tampered-small/versions/1/artifact' });
    expect(expectProblem(small, 500).type).toMatch(/artifact-corrupt$/);
    // Many chunks: headers are out, so the response is cut short of its Content-Length.
    const big = Buffer.alloc(1024 * 1024, 1);
    await tamper('tampered-big', big);
    const dl = await api
      .call('viewer', { method: 'GET', url: '/v1/models/tampered-big/versions/1/artifact' })
      .catch((err: Error) => err);
    expect(dl).toBeInstanceOf(Error);
    expect((dl as Error).message).toMatch(/destroyed before completion/);
    // An intact artifact still streams whole.
    const intact = Buffer.alloc(1024 * 1024, 2);
    const fine = await upload('intact-big', {}, intact);
    const ok = await api.call('viewer', {
      method: 'GET',
      url: `/v1/models/intact-big/versions/${fine.json().version}/artifact`,
    });
    expect(ok.rawPayload.equals(intact)).toBe(true);
  });

  it('registers from a stored artifact URI, with idempotency keys, and validates every field', async () => {
    const body = {
      artifactUri: uploadedUri,
      format: 'sklearn-pickle',
      metrics: { accuracy: 0.95, auc: 0.85 },
      params: { C: 10, solver: 'lbfgs' },
      idempotencyKey: 'ci-42',
    };
    const first = await api.call('operator', { method: 'POST', url: '/v1/models/churn/versions', payload: body });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ version: 2, format: 'sklearn-pickle', artifact: { sha256: sha(modelBytes) } });
    const again = await api.call('operator', { method: 'POST', url: '/v1/models/churn/versions', payload: body });
    expect(again.statusCode).toBe(200);
    expect(again.json().version).toBe(2);
    const post = (payload: unknown) =>
      api.call('operator', { method: 'POST', url: '/v1/models/churn/versions', payload: payload as object });
    expectProblem(
      await post({ ...body, idempotencyKey: 'ci-42', artifactUri: 'sha256:' + '0'.repeat(64) }),
      400,
      'body.artifactUri',
    );
    expectProblem(await post({ format: 'onnx' }), 400, 'body.source');
    expectProblem(
      await post({ artifactUri: uploadedUri, source: { runId: 'r', stepId: 's', output: 'o' } }),
      400,
      'body.source',
    );
    expectProblem(
      await post({ source: { runId: 'no-such-run', stepId: 'train', output: 'model.pkl' } }),
      400,
      'body.source',
    );
    expectProblem(await post({ artifactUri: 's3://elsewhere/key' }), 400, 'body.artifactUri');
    expectProblem(await post({ artifactUri: uploadedUri, metrics: { accuracy: 'x' } }), 400, 'body.metrics.accuracy');
    expectProblem(await post({ artifactUri: uploadedUri, format: 'Not A Format' }), 400, 'body.format');
    expectProblem(await post({ artifactUri: uploadedUri, datasets: ['datasets:/nope/1'] }), 400, 'body.datasets[0]');
    expectProblem(await post({ artifactUri: uploadedUri, datasets: ['not-a-uri'] }), 400, 'body.datasets[0]');
    expectProblem(await post({ artifactUri: uploadedUri, signature: { inputs: 'x' } }), 400, 'body.signature.inputs');
    expectProblem(
      await api.call('operator', { method: 'POST', url: '/v1/models/BAD/versions', payload: body }),
      400,
      'params.name',
    );
    expect((await api.call('viewer', { method: 'GET', url: '/v1/models/churn' })).json().latestVersion).toBe(2);
  });

  it('moves aliases atomically with an audit trail, and refuses archived versions', async () => {
    await api.call('operator', {
      method: 'POST',
      url: '/v1/models/churn/versions',
      payload: { artifactUri: uploadedUri, metrics: { accuracy: 0.89 } },
    });
    const put = (alias: string, version: unknown, role: 'operator' | 'viewer' = 'operator') =>
      api.call(role, { method: 'PUT', url: `/v1/models/churn/aliases/${alias}`, payload: { version } });
    const set = await put('champion', 1);
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({
      alias: { alias: 'champion', version: 1, updatedBy: 'test-operator' },
      previousVersion: null,
      changed: true,
    });
    expect((await put('champion', 2)).json()).toMatchObject({ previousVersion: 1, changed: true });
    expect((await put('champion', 2)).json()).toMatchObject({ previousVersion: 2, changed: false });
    const byAlias = await api.call('viewer', { method: 'GET', url: '/v1/models/churn/aliases/champion' });
    expect(byAlias.json()).toMatchObject({ version: 2, aliases: ['champion'] });
    expect(
      (await api.call('viewer', { method: 'GET', url: '/v1/models/churn/versions/@champion' })).json().version,
    ).toBe(2);
    expect((await api.call('viewer', { method: 'GET', url: '/v1/models/churn/versions/latest' })).json().version).toBe(
      3,
    );
    expect(
      (await api.call('viewer', { method: 'GET', url: '/v1/registry/resolve?uri=models:/churn@champion' })).json(),
    ).toMatchObject({ kind: 'model_version', modelVersion: { version: 2 } });
    expectProblem(await put('champion', 99), 404, 'body.version');
    expectProblem(await put('champion', 'two'), 400, 'body.version');
    expectProblem(await put('Champion!', 1), 400, 'params.alias');
    expectProblem(await put('latest', 1), 400, 'params.alias');
    expectProblem(await put('champion', 1, 'viewer'), 403);
    expectProblem(
      await api.call('operator', { method: 'PUT', url: '/v1/models/nope/aliases/champion', payload: { version: 1 } }),
      404,
    );
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/models/churn/aliases/staging' }), 404);
    expectProblem(
      await api.call('viewer', { method: 'GET', url: '/v1/registry/resolve?uri=models:/churn@staging' }),
      404,
    );
    expectProblem(
      await api.call('viewer', { method: 'GET', url: '/v1/registry/resolve?uri=churn' }),
      400,
      'querystring.uri',
    );

    // Archive: an aliased version needs force; an archived version takes no alias.
    expectProblem(await api.call('operator', { method: 'POST', url: '/v1/models/churn/versions/2/archive' }), 409);
    const forced = await api.call('operator', {
      method: 'POST',
      url: '/v1/models/churn/versions/2/archive?force=true',
    });
    expect(forced.json()).toMatchObject({ status: 'archived', aliases: [] });
    expectProblem(await put('champion', 2), 409);
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/models/churn/aliases/champion' }), 404);
    expectProblem(await api.call('operator', { method: 'POST', url: '/v1/models/churn/versions/9/archive' }), 404);
    expectProblem(
      await api.call('operator', { method: 'POST', url: '/v1/models/churn/versions/zero/archive' }),
      400,
      'params.version',
    );

    await put('staging', 3);
    const del = await api.call('operator', { method: 'DELETE', url: '/v1/models/churn/aliases/staging' });
    expect(del.statusCode).toBe(204);
    expectProblem(await api.call('operator', { method: 'DELETE', url: '/v1/models/churn/aliases/staging' }), 404);

    const trail = await listEvents(api.h.db, { resourceType: 'model_alias', resourceId: 'churn@champion', limit: 10 });
    expect(
      trail.map((e) => [
        e.action,
        e.actor,
        (e.details as { from: number | null }).from,
        (e.details as { to: number | null }).to,
      ]),
    ).toEqual([
      ['model.alias.delete', 'test-operator', 2, null],
      ['model.alias.set', 'test-operator', 1, 2],
      ['model.alias.set', 'test-operator', null, 1],
    ]);
  });

  it('searches versions by metric, tag, alias and status, compares two, and lists models', async () => {
    const get = (qs: string) => api.call('viewer', { method: 'GET', url: `/v1/models/churn/versions?${qs}` });
    const versions = (res: Awaited<ReturnType<typeof get>>) =>
      (res.json() as { items: Array<{ version: number }> }).items.map((v) => v.version);
    expect(versions(await get('metric=accuracy&op=gt&value=0.9'))).toEqual([1]);
    expect(versions(await get('metric=accuracy&op=gt&value=0.9&status=all'))).toEqual([2, 1]);
    expect(versions(await get('metric=accuracy&order=metric_desc&status=all'))).toEqual([2, 1, 3]);
    expect(versions(await get('tag=stage:dev'))).toEqual([1]);
    await api.call('operator', { method: 'PUT', url: '/v1/models/churn/aliases/champion', payload: { version: 3 } });
    expect(versions(await get('alias=champion'))).toEqual([3]);
    const p1 = await get('limit=1&status=all');
    expect(versions(p1)).toEqual([3]);
    expect(versions(await get(`limit=2&status=all&cursor=${p1.json().nextCursor}`))).toEqual([2, 1]);
    expectProblem(await get('metric=accuracy&op=bigger&value=1'), 400, 'querystring.op');
    expectProblem(await get('metric=accuracy&op=gt'), 400, 'querystring.value');
    expectProblem(await get('order=metric_desc'), 400, 'querystring.metric');
    expectProblem(await get('tag=bad key'), 400, 'querystring.tag');
    expectProblem(await get('cursor=garbage'), 404, 'querystring.cursor');
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/models/nope/versions' }), 404);

    const cmp = await api.call('viewer', { method: 'GET', url: '/v1/models/churn/versions/compare?a=1&b=2' });
    expect(cmp.statusCode, cmp.body).toBe(200);
    expect(cmp.json().metrics).toEqual([
      { name: 'accuracy', a: 0.91, b: 0.95, delta: expect.closeTo(0.04, 10) },
      { name: 'auc', a: 0.8, b: 0.85, delta: expect.closeTo(0.05, 10) },
    ]);
    expect(cmp.json().params).toEqual([
      { name: 'C', a: 1, b: 10, changed: true },
      { name: 'solver', a: 'lbfgs', b: 'lbfgs', changed: false },
    ]);
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/models/churn/versions/compare?a=1&b=7' }), 404);
    expectProblem(
      await api.call('viewer', { method: 'GET', url: '/v1/models/churn/versions/compare?a=1' }),
      400,
      'querystring.b',
    );

    const patch = await api.call('operator', {
      method: 'PATCH',
      url: '/v1/models/churn',
      payload: { tags: { team: 'risk', tier: 'gold' } },
    });
    expect(patch.json().tags).toEqual({ team: 'risk', tier: 'gold' });
    await api.call('operator', { method: 'POST', url: '/v1/models', payload: { name: 'churn-lite' } });
    await api.call('operator', {
      method: 'POST',
      url: '/v1/models',
      payload: { name: 'fraud', tags: { team: 'risk' } },
    });
    const names = async (qs: string) =>
      (
        (await api.call('viewer', { method: 'GET', url: `/v1/models?${qs}` })).json() as {
          items: Array<{ name: string }>;
        }
      ).items.map((m) => m.name);
    expect(await names('prefix=ch')).toEqual(['churn', 'churn-lite']);
    expect(await names('tag=team:risk')).toEqual(['churn', 'fraud']);
    expect(await names('tag=tier')).toEqual(['churn']);
    expect(await names('alias=champion')).toEqual(['churn']);
    const vp = await api.call('operator', {
      method: 'PATCH',
      url: '/v1/models/churn/versions/1',
      payload: { description: 'first', tags: { stage: 'prod' } },
    });
    expect(vp.json()).toMatchObject({
      description: 'first',
      tags: { stage: 'prod' },
      artifact: { sha256: sha(modelBytes) },
    });
    expectProblem(
      await api.call('operator', {
        method: 'PATCH',
        url: '/v1/models/churn/versions/9',
        payload: { description: 'x' },
      }),
      404,
    );
    expectProblem(
      await api.call('operator', {
        method: 'PATCH',
        url: '/v1/models/churn/versions/1',
        payload: { artifactUri: 'x' },
      }),
      400,
    );
    expectProblem(
      await api.call('operator', { method: 'PATCH', url: '/v1/models/churn/versions/1', payload: {} }),
      400,
      'body',
    );
    expectProblem(
      await api.call('operator', { method: 'PATCH', url: '/v1/models/nope', payload: { description: 'x' } }),
      404,
    );
  });

  it('archives a model: no new versions, aliases removed only with force', async () => {
    expectProblem(await api.call('operator', { method: 'POST', url: '/v1/models/churn/archive' }), 403); // admin only
    expectProblem(await api.call('admin', { method: 'POST', url: '/v1/models/churn/archive' }), 409);
    const archived = await api.call('admin', { method: 'POST', url: '/v1/models/churn/archive?force=true' });
    expect(archived.json()).toMatchObject({ status: 'archived', aliases: {} });
    expectProblem(await upload('churn', {}), 409);
    expect((await api.call('viewer', { method: 'GET', url: '/v1/models/churn/versions/1' })).statusCode).toBe(200);
    const listed = await api.call('viewer', { method: 'GET', url: '/v1/models?prefix=churn' });
    expect(listed.json().items.map((m: { name: string }) => m.name)).toEqual(['churn-lite']);
  });

  it('documents every registry route in the OpenAPI document', async () => {
    const doc = (await api.call(undefined, { method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    for (const p of [
      '/v1/models',
      '/v1/models/{name}/versions',
      '/v1/models/{name}/versions/upload',
      '/v1/models/{name}/aliases/{alias}',
      '/v1/datasets/{name}/versions/{version}/stats',
      '/v1/lineage/models/{name}/versions/{version}',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });
});
