import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from './common.js';

/** One serving instance of a deployment and its share of the traffic (weights of a deployment sum to 100). */
export interface DeploymentRoutesTable {
  deployment: string;
  model: string;
  version: number;
  /** Base URL of the model server, e.g. http://127.0.0.1:41234 (the gateway POSTs `${url}/predict`). */
  url: string;
  weight: number;
  updated_at: Timestamp;
}

/** One flush window of one API process's gateway counters for one deployment version. */
export interface GatewayStatsTable {
  id: Generated<string>;
  deployment: string;
  version: number;
  window_start: ColumnType<Date, Date | string, Date | string>;
  window_end: ColumnType<Date, Date | string, Date | string>;
  requests: number;
  errors: number;
  /** number[] of length LATENCY_BOUNDS_MS.length + 1 (core/gateway/observer.ts). */
  latency_counts: Json;
}
