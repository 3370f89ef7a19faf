import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { FeatureWindowObserver } from '../../core/drift/observer.js';
import { Gauge } from 'prom-client';
import { Feedback } from '../../core/gateway/feedback.js';
import { Gateway } from '../../core/gateway/gateway.js';
import type { PredictionObserver } from '../../core/gateway/observer.js';
import { PrometheusObserver } from '../../core/gateway/prometheus.js';
import { CHANGE_CHANNELS, watchTableChanges } from '../../core/db/table-changes.js';
import { StatsObserver } from '../../core/gateway/stats.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The inference gateway: `addObserver(o)` at start to watch every forwarded prediction. */
    gateway: Pick<Gateway, 'addObserver' | 'predict' | 'flush'>;
    /** Ground truth for the gateway's predictions: scoring and accuracy per version. */
    gatewayFeedback: Pick<Feedback, 'score' | 'accuracy'>;
  }
}

/**
 * The inference gateway of this API process: deployment routes cached until deployment_routes
 * changes, kept-alive pools to the model servers, and its observers (per-version stats to
 * gateway_stats, Prometheus series, recent and sampled predictions for feedback), flushed every
 * SLUICE_GATEWAY_FLUSH_MS and once on close.
 */
export const gatewayPlugin = fp(
  async (app: FastifyInstance) => {
    const { gateway: cfg } = app.config;
    const log = app.log.child({ component: 'gateway' });
    let feedUp = () => false;
    const gateway = Gateway.over(
      app.db,
      () => feedUp(),
      { connections: cfg.connections, timeoutMs: cfg.timeoutMs },
      log,
    );
    const feed = await watchTableChanges(
      app.db,
      CHANGE_CHANNELS.deploymentRoutes,
      app.config.databaseUrl,
      () => gateway.routes.invalidate(),
      (err) =>
        log.warn({ err }, 'deployment route feed lost; the gateway reads routes from the database until it reconnects'),
    );
    feedUp = () => feed.up;
    const accuracy = new Gauge({
      name: 'sluice_gateway_accuracy',
      help: 'Share of labelled predictions that matched their feedback, by deployment and model version (this API process, since start)',
      labelNames: ['deployment', 'version'] as const,
      registers: [app.metricsRegistry],
    });
    const feedback = new Feedback(app.db, cfg.sampleRate, accuracy);
    const observers: PredictionObserver[] = [
      new StatsObserver(app.db),
      new PrometheusObserver(app.metricsRegistry),
      feedback,
      // Drift: every row's features counted into the training data's bins, flushed to drift_windows.
      new FeatureWindowObserver({
        db: app.db,
        flushMs: cfg.flushMs,
        onError: (err) => log.warn({ err }, 'drift window counts could not be written; they are retried'),
      }),
    ];
    for (const o of observers) gateway.addObserver(o);

    let flushing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      flushing = flushing.then(() => gateway.flush());
    }, cfg.flushMs);
    timer.unref();
    app.decorate('gateway', gateway);
    app.decorate('gatewayFeedback', feedback);
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await flushing;
      await feed.stop();
      await gateway.close();
    });
  },
  { name: 'sluice-gateway', dependencies: ['sluice-clients', 'sluice-metrics'] },
);
