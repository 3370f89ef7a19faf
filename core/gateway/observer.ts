// The seam between the inference gateway (which forwards predictions) and what watches them
// (per-version stats for rollout alarms and metrics, per-feature bin counts for drift, the sampled
// request log). The gateway calls every observer once per request, synchronously and cheaply:
// observers aggregate in memory and flush on their own timer — never a database write per request.

/** Upper bounds (ms) of the gateway's latency histogram buckets; one more bucket counts the rest. */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

export interface PredictionObservation {
  deployment: string;
  model: string;
  /** The model version that served (or was asked to and failed). */
  version: number;
  /** The gateway's id for this request (returned to the client; feedback refers to it). */
  requestId: string;
  /** The input rows as the client sent them (objects of feature name → value). */
  rows: readonly Record<string, unknown>[];
  /** The server's predictions, one per row; undefined when the request failed. */
  predictions?: readonly unknown[];
  /** Time spent in the gateway's forward (ms, fractional). */
  latencyMs: number;
  /** false: the model server failed (connection error, timeout or a 5xx). */
  ok: boolean;
  at: Date;
}

export interface PredictionObserver {
  observe(o: PredictionObservation): void;
  /** Writes what is aggregated now (called on the observer's timer and once on close). */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

/** What a rollout's bake window reads to check its alarms. */
export interface VersionWindowStats {
  requests: number;
  errors: number;
  /** Approximated from the histogram (bucket upper bound); null when there were no requests. */
  p95Ms: number | null;
}
