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
        return out;
      },
      transformObject: (doc) => groups.apply('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject),
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true }, config: { role: 'public' } }, async () => app.swagger());
  },
  { name: 'sluice-openapi', dependencies: ['sluice-auth'] },
);
