import type { Db } from '../db/connect.js';
import { NotFoundError } from '../errors.js';
import { GatewayError, NotServingError } from './errors.js';
import type { PredictionObserver } from './observer.js';
import { pickRoute, RouteTable } from './routes.js';
import { Upstreams, type UpstreamOptions } from './upstream.js';

export interface Prediction {
  predictions: unknown[];
  model: string;
  version: number;
  requestId: string;
}

export interface GatewayLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Forwards prediction requests to a deployment's model servers by the traffic split in
 * deployment_routes, and reports each forwarded request to every observer. Observers run
 * synchronously and must be cheap; one that throws is logged and skipped, never the request's
 * failure. `flush()` (on the plugin's timer and at close) asks each observer to write what it holds.
 */
export class Gateway {
  private readonly observers: PredictionObserver[] = [];
  readonly upstreams: Upstreams;

  constructor(
    readonly routes: RouteTable,
    upstream: UpstreamOptions,
    private readonly log: GatewayLogger,
  ) {
    this.upstreams = new Upstreams(upstream);
  }

  static over(db: Db, live: () => boolean, upstream: UpstreamOptions, log: GatewayLogger): Gateway {
    return new Gateway(new RouteTable(db, live), upstream, log);
  }

  addObserver(o: PredictionObserver): void {
    this.observers.push(o);
  }

  async predict(deployment: string, rows: Record<string, unknown>[], requestId: string): Promise<Prediction> {
    const routes = await this.routes.routes(deployment);
    if (routes.length === 0) throw new NotFoundError('deployment', deployment);
    const route = pickRoute(routes);
    if (!route) throw new NotServingError(deployment);
    const at = new Date();
    const started = performance.now();
    let predictions: unknown[] | undefined;
    let ok = true;
    try {
      predictions = await this.upstreams.predict(route, deployment, JSON.stringify({ rows }), rows.length);
      return { predictions, model: route.model, version: route.version, requestId };
    } catch (err) {
      // A refusal of the input is the client's; anything else is the serving side's failure.
      ok = err instanceof GatewayError && err.status < 500;
      throw err;
    } finally {
      const latencyMs = performance.now() - started;
      const o = {
        deployment,
        model: route.model,
        version: route.version,
        requestId,
        rows,
        predictions,
        latencyMs,
        ok,
        at,
      };
      for (const obs of this.observers) {
        try {
          obs.observe(o);
        } catch (err) {
          this.log.warn({ err }, 'a gateway observer failed; the request is unaffected');
        }
      }
    }
  }

  /** Asks every observer to write what it aggregated; a failing one is logged and keeps its counts. */
  async flush(): Promise<void> {
    const results = await Promise.allSettled(this.observers.map((o) => o.flush?.()));
    for (const r of results)
      if (r.status === 'rejected') this.log.warn({ err: r.reason }, 'a gateway observer could not flush; it retries');
  }

  /** Flushes once more, closes the observers and the upstream pools. */
  async close(): Promise<void> {
    await this.flush();
    await Promise.allSettled(this.observers.map((o) => o.close?.()));
    await this.upstreams.close();
  }
}
