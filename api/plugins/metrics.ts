import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { registerRunGauges } from './run-gauges.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's Prometheus registry: plugins (the gateway) add their series to it. */
    metricsRegistry: Registry;
  }
}
import { registerDriftGauges } from './drift-gauges.js';

/**
 * Prometheus metrics at /metrics: the process's own (CPU, memory, event-loop lag, GC) and a
 * request-duration histogram per route template (never per raw URL: ids would explode the
 * label space). A registry per app instance, so tests can build many apps in one process.
 * It serves /metrics itself, behind the auth plugin's role check.
 */
export const metrics = fp(
  async (app: FastifyInstance) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
    const duration = new Histogram({
      name: 'sluice_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    });

    registerRunGauges(registry, app.db);

    app.decorate('metricsRegistry', registry);
    registerDriftGauges(registry, app.db);

    app.addHook('onClose', async () => registry.clear());

    // A callback hook, not an async one: no promise per request for what is synchronous.
    app.addHook('onResponse', (req, reply, done) => {
      const route = req.routeOptions.url ?? (req.is404 ? 'unmatched' : 'unknown');
      duration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      done();
    });

    app.get(
      '/metrics',
      {
        config: { role: 'viewer' },
        schema: { hide: true },
      },
      async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
  },
  { name: 'sluice-metrics', dependencies: ['sluice-auth'] },
);
