import Fastify, { type LightMyRequestResponse } from 'fastify';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { app as sluiceApp } from '../api/app.js';
import { loadConfig } from '../core/config.js';
import { openDb } from '../core/db/connect.js';
import { issueKey } from '../core/access/keys.js';
import { insertPendingRun } from '../core/runs/queries.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { useApi } from './support/api.js';

/** Every error, whatever its class, is RFC 9457 problem+json with a stable type and the request id. */
function expectProblem(res: LightMyRequestResponse, status: number, slug: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({
    type: `https://sluice.dev/problems/${slug}`,
    status,
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(body.requestId).toBe(res.headers['x-request-id']);
  expect(res.body).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack frames
  return body;
}

describe('problem+json for every error class', () => {
  const api = useApi({ env: { SLUICE_BODY_LIMIT_BYTES: '2048', SLUICE_RATE_LIMIT_PER_MINUTE: '3' } });

  it('400 names each bad field', async () => {
    const res = await api.call('admin', {
      method: 'POST',
      url: '/v1/keys',
      payload: { name: '', role: 'boss', colour: 'red' },
    });
    const body = expectProblem(res, 400, 'validation');
    const paths = body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.name', 'body.role', 'body.colour']));
    expect(body.errors.find((e: { path: string }) => e.path === 'body.colour').message).toMatch(/unknown field/);
  });

  it('401, 403 and 404 (unknown route and missing resource)', async () => {
    expectProblem(await api.call(undefined, { method: 'GET', url: '/v1/runs' }), 401, 'unauthorized');
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/keys' }), 403, 'forbidden');
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/nothing-here' }), 404, 'not-found');
    const missing = expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/runs/ghost' }), 404, 'not-found');
    expect(missing.detail).toBe('run "ghost" does not exist');
  });

  it('409 on a conflicting write', async () => {
    await api.call('operator', {
      method: 'POST',
      url: '/v1/pipelines',
      headers: { 'content-type': 'application/yaml' },
      payload: 'apiVersion: sluice/v1\nname: busy\nsteps: [{ id: a, image: none, command: [sh, -c, "true"] }]\n',
    });
    await insertPendingRun(api.h.db, {
      id: 'busy-1',
      workflowId: 'run-busy-1',
      pipeline: 'busy',
      version: 1,
      params: {},
      trigger: 'api',
      createdBy: null,
      idempotencyKey: null,
      retryOf: null,
    });
    expectProblem(await api.call('admin', { method: 'DELETE', url: '/v1/pipelines/busy' }), 409, 'conflict');
  });

  it('413 over the body limit and 415 for an unknown content type', async () => {
    const big = `apiVersion: sluice/v1\nname: big\ndescription: "${'x'.repeat(4096)}"\nsteps: []\n`;
    expectProblem(
      await api.call('operator', {
        method: 'POST',
        url: '/v1/pipelines',
        headers: { 'content-type': 'application/yaml' },
        payload: big,
      }),
      413,
      'body-too-large',
    );
    expectProblem(
      await api.call('operator', {
        method: 'POST',
        url: '/v1/pipelines',
        headers: { 'content-type': 'text/csv' },
        payload: 'a,b',
      }),
      415,
      'unsupported-media-type',
    );
  });

  it('429 per key on mutating routes only', async () => {
    const { key } = await issueKey(api.h.db, { name: 'hasty', role: 'viewer' });
    const validate = (k: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/pipelines/validate',
        payload: { spec: {} },
        headers: { authorization: `Bearer ${k}` },
      });
    for (let i = 0; i < 3; i++) expect((await validate(key)).statusCode).toBe(200);
    const limited = await validate(key);
    expectProblem(limited, 429, 'rate-limited');
    expect(limited.headers['retry-after']).toBeDefined();
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/runs', headers: { authorization: `Bearer ${key}` } }))
        .statusCode,
    ).toBe(200);
    expect(
      (await api.call('viewer', { method: 'POST', url: '/v1/pipelines/validate', payload: { spec: {} } })).statusCode,
    ).toBe(200);
  });

  it('429: registry writes and run/pipeline writes share one per-key budget', async () => {
    const { key } = await issueKey(api.h.db, { name: 'busy-op', role: 'operator' });
    const headers = { authorization: `Bearer ${key}` };
    const validate = () =>
      api.app.inject({ method: 'POST', url: '/v1/pipelines/validate', payload: { spec: {} }, headers });
    expect((await validate()).statusCode).toBe(200);
    expect((await validate()).statusCode).toBe(200);
    expect(
      (await api.app.inject({ method: 'POST', url: '/v1/models', payload: { name: 'budget-model' }, headers }))
        .statusCode,
    ).toBe(201);
    expectProblem(await validate(), 429, 'rate-limited');
  });

  it('500 hides the cause from the client and logs it with the request id', async () => {
    const db = await openDb({});
    await migrateToLatest(db);
    const { key } = await issueKey(db, { name: 'a', role: 'admin' });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const server = Fastify({ logger: { level: 'error', stream: sink } });
    server.addHook('onSend', async (req, reply) => {
      reply.header('x-request-id', req.id);
    });
    const config = loadConfig({ SLUICE_DATA_DIR: api.h.dir, SLUICE_LOG_LEVEL: 'error' });
    await server.register(sluiceApp, {
      deps: { config, db, temporal: api.h.client, artifacts: api.h.deps.artifacts, logs: api.h.deps.logs },
    });
    await server.ready();
    await db.destroy(); // every query now fails inside the server
    const res = await server.inject({ method: 'GET', url: '/v1/runs', headers: { authorization: `Bearer ${key}` } });
    const body = expectProblem(res, 500, 'internal');
    expect(body.detail).toBe(`internal error; quote request id ${body.requestId} when reporting it`);
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.reqId === body.requestId);
    expect(logged?.err?.message).toBeTruthy();
    expect(res.body).not.toContain(logged.err.message);
    await server.close();
  });
});
