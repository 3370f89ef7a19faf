import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps.js';
import { auth } from './auth.js';
import { metrics } from './metrics.js';
import { installProblemHandlers } from './problems.js';
import { healthRoutes } from './routes/health.js';
import { v1Routes } from './routes/index.js';
import { registryRoutes } from './routes/registry.js';
import { registerRateLimit } from './routes/rate-limit.js';

export interface AppOptions {
  deps: AppDeps;
}

/** The whole HTTP API as one plugin: server.ts listens, tests `inject`. */
export async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  fastify.decorate('deps', opts.deps);
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  installProblemHandlers(fastify);

  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Sluice API', version: '1', description: 'Durable MLOps pipelines on Temporal' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A Sluice API key' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await fastify.register(auth);
  await fastify.register(swaggerUi, { routePrefix: '/docs' });
  fastify.get('/openapi.json', { schema: { hide: true }, config: { role: 'public' } }, async () => fastify.swagger());

  await fastify.register(metrics);
  await fastify.register(healthRoutes);
  // One per-key write limit across everything under /v1 (runs, pipelines and the registry alike).
  await fastify.register(async (v1) => {
    await registerRateLimit(v1, opts.deps.config.api.rateLimitPerMinute);
    await v1.register(v1Routes);
    await v1.register(registryRoutes);
  }, { prefix: '/v1' });
}
