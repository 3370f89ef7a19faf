import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Tracing } from '../../core/telemetry/index.js';

// Probes and scrapes would be most of the traces and tell nothing.
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * A SERVER span per HTTP request (@fastify/otel), named `METHOD /route/:param`, continuing a caller's
 * W3C `traceparent`. It is the active span while the handler runs, so the Temporal client's spans
 * (StartWorkflow…) are its children. Registered by buildServer, before the app, only when tracing is on.
 */
export const tracingPlugin = fp(
  async (app: FastifyInstance, { tracing }: { tracing: Tracing }) => {
    const instrumentation = new FastifyOtelInstrumentation({
      // One span per request and one for its handler: hook spans (auth, rate limit…) would triple them.
      instrumentHooks: false,
      ignorePaths: ({ url }) => UNTRACED.has(url.split('?')[0]!),
      requestHook: (span, req) => span.updateName(`${req.method} ${req.routeOptions.url ?? 'unknown route'}`),
    });
    instrumentation.setTracerProvider(tracing.provider);
    await app.register(instrumentation.plugin());
    // Spans still buffered go out before the server is gone.
    app.addHook('onClose', () => tracing.flush());
  },
  { name: 'sluice-tracing' },
);
