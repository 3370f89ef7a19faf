import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { withValidationProblem } from '../schemas/common.js';

/**
 * The OpenAPI document, generated from the routes' zod schemas, at /openapi.json, and the
 * interactive docs at /docs (both public). Register it before the routes it documents.
 */
export const openapi = fp(
  async (app: FastifyInstance) => {
    app.addHook('onRoute', (route) => {
      if (route.schema) withValidationProblem(route.schema as Parameters<typeof withValidationProblem>[0]);
    });
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'Sluice API', version: '1', description: 'Durable MLOps pipelines on Temporal' },
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A Sluice API key' } },
        },
        security: [{ bearer: [] }],
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true }, config: { role: 'public' } }, async () => app.swagger());
  },
  { name: 'sluice-openapi', dependencies: ['sluice-auth'] },
);
