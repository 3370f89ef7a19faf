import type { FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { auth } from './plugins/auth.js';
import { clients, type AppDeps } from './plugins/clients.js';
import { gatewayPlugin } from './plugins/gateway.js';
import { metrics } from './plugins/metrics.js';
import { openapi } from './plugins/openapi.js';
import { problemHandling } from './plugins/problems.js';
import { registryVersions } from './plugins/registry-versions.js';
import { runContext } from './plugins/run-context.js';
import { runLists } from './plugins/run-lists.js';
import { healthRoutes } from './routes/health.js';
import { v1Routes } from './routes/index.js';

export interface AppOptions {
  deps: AppDeps;
}

/** The whole HTTP API as one plugin: server.ts listens, tests `inject`. */
export async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  await fastify.register(problemHandling);
  await fastify.register(clients, { deps: opts.deps });
  await fastify.register(auth);
  await fastify.register(openapi);
  await fastify.register(metrics);
  await fastify.register(runContext);
  await fastify.register(runLists);
  await fastify.register(registryVersions);
  await fastify.register(gatewayPlugin);

  await fastify.register(healthRoutes);
  await fastify.register(v1Routes, { prefix: '/v1' });
}
