import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { expectProblem, useApi } from './support/api.js';

const NUL = '\u0000';
const spec = (extra = '') =>
  `apiVersion: sluice/v1\nname: bounds\n${extra}steps: [{ id: a, image: none, command: [sh, -c, "true"] }]\n`;

/** Bad input of every kind answers a 4xx problem naming the field, never a 5xx. */
describe('input the database cannot hold is refused at the edge', () => {
  const api = useApi();
  const get = (url: string) => api.call('admin', { method: 'GET', url });
  const post = (url: string, payload: object) => api.call('admin', { method: 'POST', url, payload });

  it('control characters in query filters, path ids and cursors', async () => {
    expectProblem(await get('/v1/runs?pipeline=a%00b'), 400, 'querystring.pipeline');
    expectProblem(await get('/v1/runs?trigger=%1b'), 400, 'querystring.trigger');
    expectProblem(await get('/v1/schedules?pipeline=%00%00%00'), 400, 'querystring.pipeline');
    expectProblem(await get('/v1/events?actor=x%7f'), 400, 'querystring.actor');
    expectProblem(await get('/v1/runs?cursor=%00'), 400, 'querystring.cursor');
    expectProblem(await get('/v1/models?prefix=%0a'), 400, 'querystring.prefix');
    expectProblem(await get('/v1/models?tag=team:%00'), 400, 'querystring.tag');
    expectProblem(await get('/v1/runs/a%00b'), 400, 'params.id');
    expectProblem(await get('/v1/lineage/runs/a%00b'), 400, 'params.id');
    expectProblem(await api.call('admin', { method: 'DELETE', url: '/v1/keys/k%00' }), 400, 'params.id');
  });

  it('NUL in body names, free text and JSON values at any depth', async () => {
    expectProblem(await post('/v1/keys', { name: `a${NUL}`, role: 'viewer' }), 400, 'body.name');
    expectProblem(await post('/v1/models', { name: 'nul-model', description: `x${NUL}` }), 400, 'body.description');
    expectProblem(
      await post('/v1/runs', { pipeline: 'bounds', params: { deep: [{ v: `a${NUL}` }] } }),
      400,
      'body.params.deep[0].v',
    );
    const res = await api.call('operator', {
      method: 'POST',
      url: '/v1/pipelines',
      headers: { 'content-type': 'application/yaml' },
      payload: spec('description: "a\\0b"\n'),
    });
    expect(expectProblem(res, 400).errors).toEqual([{ path: '$.description', message: expect.stringMatching(/NUL/) }]);
  });

  it('integers beyond an int4 column', async () => {
    expect(
      (await api.call('operator', { method: 'POST', url: '/v1/pipelines', payload: { spec: spec() } })).statusCode,
    ).toBe(201);
    expectProblem(await post('/v1/runs', { pipeline: 'bounds', version: 9007199254740991 }), 400, 'body.version');
    expectProblem(await post('/v1/runs', { pipeline: 'bounds', version: 2147483648 }), 400, 'body.version');
    expectProblem(await get('/v1/pipelines/bounds/versions/7820007702'), 400, 'params.version');
    expectProblem(await get('/v1/pipelines/bounds/versions/2147483647'), 404);
    expectProblem(await get('/v1/models/m/versions/99999999999'), 400, 'params.version');
  });

  it('framework errors are problem+json too', async () => {
    const long = expectProblem(await get(`/v1/runs/${'a'.repeat(2500)}`), 414);
    expectProblem(await get(`/v1/runs/${'a'.repeat(500)}`), 400, 'params.id');
    expect(long.type).toBe('https://sluice.dev/problems/uri-too-long');
    expectProblem(await get('/v1/runs/%E0%A4%A'), 400);
    expectProblem(await get('/v1/no-such-thing'), 404);
    const wrong = await api.call('admin', { method: 'PUT', url: '/v1/runs' });
    expectProblem(wrong, 405);
    expect(wrong.headers.allow).toBe('GET, HEAD, POST');
    const broken = await api.call('admin', {
      method: 'POST',
      url: '/v1/keys',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(expectProblem(broken, 400).type).toBe('https://sluice.dev/problems/invalid-body');
  });

  it('a multipart upload without a boundary or cut off', async () => {
    for (const [type, payload] of [
      ['multipart/form-data', ''],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nab'],
    ]) {
      const res = await api.call('operator', {
        method: 'POST',
        url: '/v1/models/up/versions/upload',
        headers: { 'content-type': type! },
        payload,
      });
      expectProblem(res, 400, 'body');
    }
  });

  it('what the HTTP parser refuses is problem+json', async () => {
    const address = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = new URL(address);
    const raw = await new Promise<string>((resolve, reject) => {
      let got = '';
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      socket.on('data', (d) => (got += String(d)));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toMatch(/content-type: application\/problem\+json/i);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({
      status: 400,
      requestId: expect.any(String),
    });
  });

  it('documents the 400 of every route that validates its path or query', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths['/v1/runs/{id}'].get.responses)).toContain('400');
    expect(Object.keys(doc.paths['/v1/keys/{id}'].delete.responses)).toContain('400');
    expect(
      doc.paths['/v1/runs'].get.parameters.find((p: { name: string }) => p.name === 'pipeline').schema.pattern,
    ).toBe('^[^\\u0000-\\u001f\\u007f]*$');
  });
});
