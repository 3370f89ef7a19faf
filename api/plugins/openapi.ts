import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { documentFrameworkProblems } from '../schemas/problem-responses.js';
import { paramGroups } from './openapi-param-groups.js';

const UPLOAD_PARTS = {
  type: 'object',
  properties: {
    metadata: {
      type: 'string',
      contentMediaType: 'application/json',
      description: 'JSON: the fields of the JSON registration, without source and artifactUri; send it before the file',
    },
    file: { type: 'string', contentMediaType: 'application/octet-stream', description: 'the bytes' },
  },
  required: ['file'],
};

const TAR_BODY = {
  type: 'string',
  contentMediaType: 'application/x-tar',
  description: 'an uncompressed tar of plain files and directories (what `sluice pipelines apply -f` packs)',
};

/**
 * The OpenAPI document, generated from the routes' zod schemas, at /openapi.json, and the
 * interactive docs at /docs (both public). Register it before the routes it documents.
 */
export const openapi = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRoute', (route) =>
      documentFrameworkProblems(route as Parameters<typeof documentFrameworkProblems>[0]),
    );
    const groups = paramGroups();
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Sluice API', version: '1', description: 'Durable MLOps pipelines on Temporal' },
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A Sluice API key' } },
        },
        security: [{ bearer: [] }],
      },
      transform: (arg) => {
        groups.collect(arg.route.method, arg.url, arg.schema.querystring);
        const out = jsonSchemaTransform(arg);
        // Uploads stream their parts (api/lib/uploads.ts) instead of validating a body: document the parts.
        if ((arg.schema as { consumes?: string[] }).consumes?.includes('multipart/form-data'))
          return { ...out, schema: { ...out.schema, body: UPLOAD_PARTS } };
        // A code package streams its tar to disk (api/routes/code-packages.ts): document the bytes.
        if ((arg.schema as { consumes?: string[] }).consumes?.includes('application/x-tar'))
          return { ...out, schema: { ...out.schema, body: TAR_BODY } };
        return {
          ...out,
          schema: { ...out.schema, ...(out.schema.body ? { body: noProtoKeys(out.schema.body) } : {}) },
        };
      },
      transformObject: (doc) => groups.apply('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject),
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true }, config: { role: 'public' } }, async () => app.swagger());
  },
  { name: 'sluice-openapi', dependencies: ['sluice-auth'] },
);

/**
 * Fastify's JSON parser refuses a body with a `__proto__` key anywhere (prototype poisoning), so
 * the document says so: every object that takes keys of the client's choosing excludes that name.
 */
function noProtoKeys(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(noProtoKeys);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema))
    out[k] = k === 'const' || k === 'enum' || k === 'default' || k === 'examples' ? v : noProtoKeys(v);
  const freeKeys = out.type === 'object' && (out.additionalProperties !== false || out.propertyNames !== undefined);
  if (freeKeys) {
    const names = (out.propertyNames as Record<string, unknown> | undefined) ?? {};
    const not = { const: '__proto__' };
    out.propertyNames = names.not === undefined ? { ...names, not } : { allOf: [names, { not }] };
  }
  return out;
}
