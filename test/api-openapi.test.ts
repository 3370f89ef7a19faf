import { Ajv2020 } from 'ajv/dist/2020.js';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app as sluiceApp } from '../api/app.js';
import { loadConfig } from '../core/config.js';
import { servedRoutes } from './support/route-roles.js';
import { useHarness } from './support/harness.js';

type Operation = {
  parameters?: { in: string; name: string; schema: object; style?: string; explode?: boolean }[];
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  summary?: string;
};
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('the OpenAPI document', () => {
  const h = useHarness();
  let server: ReturnType<typeof Fastify>;
  let doc: {
    openapi: string;
    info: { title: string };
    paths: Record<string, Record<string, Operation>>;
    components?: unknown;
  };
  beforeAll(async () => {
    server = Fastify({ logger: false });
    const config = loadConfig({ SLUICE_DATA_DIR: h.dir, SLUICE_LOG_LEVEL: 'silent' });
    await server.register(sluiceApp, {
      deps: { config, db: h.db, temporal: h.client, artifacts: h.deps.artifacts, logs: h.deps.logs },
    });
    await server.ready();
    const res = await server.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => {
    await server?.close();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([m]) => METHODS.includes(m))
        .map(([m, op]) => ({ path, method: m.toUpperCase(), op })),
    );

  it('documents every route the server has, and only those, each with the role it needs', async () => {
    const served = (await servedRoutes(h)).filter((r) => !r.hidden);
    const documented = operations().map((o) => `${o.method} ${o.path}`);
    expect(documented.sort()).toEqual(served.map((r) => `${r.method} ${r.path}`).sort());
    // The authorization matrix (api-access) walks these same routes by their declared role.
    expect(served.filter((r) => r.role === undefined)).toEqual([]);
  });

  it('is a well-formed OpenAPI 3.1 document whose schemas compile', () => {
    // 3.1: its schemas are JSON Schema 2020-12, which can say propertyNames and dependentRequired.
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Sluice API');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      expect(op.summary, where).toBeTruthy();
      const codes = Object.keys(op.responses);
      expect(
        codes.some((c) => c.startsWith('2')),
        where,
      ).toBe(true);
      // Whatever the route validates (path, query, headers, body) can answer 400.
      if (op.parameters?.length || op.requestBody) expect(codes, `${where}: documents its 400`).toContain('400');
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        expect(
          op.parameters?.some((p) => p.in === 'path' && p.name === name),
          `${where}: path param ${name}`,
        ).toBe(true);
      }
      const schemas = [
        ...(op.parameters ?? []).map((p) => p.schema),
        ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema),
        ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((c) => c.schema)),
      ];
      for (const s of schemas)
        expect(() => ajv.compile(s), `${where}: ${JSON.stringify(s).slice(0, 200)}`).not.toThrow();
      // /readyz answers 503 with its own body: which check failed.
      for (const code of codes.filter((c) => Number(c) >= 400 && path.startsWith('/v1'))) {
        expect(Object.keys(op.responses[code]!.content ?? {}), `${where} ${code}`).toEqual([
          'application/problem+json',
        ]);
      }
    }
    expect(JSON.stringify(doc)).not.toContain('"$ref"');
  });

  it('documents every status the layers in front of a handler can answer', () => {
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      const codes = Object.keys(op.responses);
      const expected = ['431'];
      if (path.startsWith('/v1/')) expected.push('401', '403', '503');
      if (path.includes('{')) expected.push('414');
      if (method !== 'GET') expected.push('400', '413', '415');
      if (method !== 'GET' && path.startsWith('/v1/')) expected.push('429');
      if (op.parameters?.some((p) => p.in === 'query' && p.name === 'cursor')) expected.push('404');
      for (const code of expected) expect(codes, `${where} documents ${code}`).toContain(code);
    }
  });

  it('states the rules between fields as JSON Schema', () => {
    const search = doc.paths['/v1/models/{name}/versions']!.get!.parameters!.find((p) => p.name === 'metricFilter');
    expect(search).toMatchObject({ in: 'query', style: 'form', explode: true });
    expect(search!.schema).toMatchObject({
      dependentRequired: { op: ['metric', 'value'], value: ['metric', 'op'] },
      then: { required: ['metric'] },
    });
    const body = (p: string, m: string) => doc.paths[p]![m]!.requestBody!.content['application/json']!.schema;
    expect(body('/v1/models/{name}', 'patch')).toMatchObject({ minProperties: 1 });
    expect(body('/v1/models/{name}/versions', 'post')).toMatchObject({
      oneOf: [{ required: ['source'] }, { required: ['artifactUri'] }],
    });
    expect(body('/v1/schedules', 'post')).toMatchObject({ oneOf: [{ required: ['cron'] }, { required: ['every'] }] });
    expect(body('/v1/models', 'post')).toMatchObject({
      properties: { tags: { propertyNames: { pattern: expect.any(String) } } },
    });
  });

  it('documents the bodies that are not JSON: upload parts and the code package tar', () => {
    const upload = doc.paths['/v1/models/{name}/versions/upload']!.post!.requestBody!;
    expect(Object.keys(upload.content)).toEqual(['multipart/form-data']);
    const tar = doc.paths['/v1/code-packages']!.post!.requestBody!;
    expect(Object.keys(tar.content).sort()).toEqual(['application/tar', 'application/x-tar']);
    expect(tar.content['application/x-tar']!.schema).toMatchObject({
      type: 'string',
      contentMediaType: 'application/x-tar',
    });
  });

  it('serves the interactive docs', async () => {
    const res = await server.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});
