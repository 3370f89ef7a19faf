import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { app } from './app.js';
import type { AppDeps } from './plugins/clients.js';
import { clientErrorHandler, frameworkErrors } from './plugins/problems.js';

/** Builds the Fastify instance with the app registered; does not listen. */
export async function buildServer(deps: AppDeps, opts: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const server = Fastify({
    logger: opts.logger === false ? false : { level: deps.config.logLevel },
    // Per-request lines drown the console of the embedded stack; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.api.bodyLimitBytes,
    // The longest path parameter the schemas allow (200 characters), percent-encoded at 12 bytes each: longer
    // URLs answer 414 before routing; a parameter the document calls valid never does.
    routerOptions: { maxParamLength: 2400 },
    genReqId: (req) =>
      typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'].slice(0, 64) : randomUUID(),
    requestIdHeader: false,
    // Every error the server sends is problem+json, including those raised before routing.
    frameworkErrors,
    clientErrorHandler,
    return503OnClosing: false,
  });
  server.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
  });
  // Imported only when tracing is on: without an endpoint @fastify/otel is never loaded.
  if (deps.tracing)
    await server.register((await import('./plugins/tracing.js')).tracingPlugin, { tracing: deps.tracing });
  await server.register(app, { deps });
  return server;
}

/** The only place that listens. */
export async function listen(server: FastifyInstance, host: string, port: number): Promise<string> {
  return server.listen({ host, port });
}
