import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BOUNDS_MS, type PredictionObservation, type PredictionObserver } from './observer.js';

/**
 * The gateway's Prometheus series, per deployment and version: requests by outcome (`ok`,
 * `rejected` — the model server refused the input —, `error`) and the forward latency. Label
 * values come from deployment_routes, never from the client, so the label space stays small.
 */
export class PrometheusObserver implements PredictionObserver {
  private readonly requests: Counter<'deployment' | 'version' | 'outcome'>;
  private readonly latency: Histogram<'deployment' | 'version'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'sluice_gateway_requests_total',
      help: 'Prediction requests forwarded by the gateway, by deployment, model version and outcome',
      labelNames: ['deployment', 'version', 'outcome'] as const,
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'sluice_gateway_request_duration_seconds',
      help: "Time of the gateway's forward to the model server, by deployment and model version",
      labelNames: ['deployment', 'version'] as const,
      buckets: LATENCY_BOUNDS_MS.map((ms) => ms / 1000),
      registers: [registry],
    });
  }

  observe(o: PredictionObservation): void {
    const version = String(o.version);
    const outcome = !o.ok ? 'error' : o.predictions ? 'ok' : 'rejected';
    this.requests.inc({ deployment: o.deployment, version, outcome });
    this.latency.observe({ deployment: o.deployment, version }, o.latencyMs / 1000);
  }
}
