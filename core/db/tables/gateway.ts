import type { ColumnType, Generated } from 'kysely';
import type { Json } from './common.js';

type Time = ColumnType<Date, Date | string, Date | string>;

/** Feedback scored in one flush window of one API process for one deployment version. */
export interface GatewayAccuracyTable {
  id: Generated<string>;
  deployment: string;
  version: number;
  window_start: Time;
  window_end: Time;
  /** Feedback received (each one refers to one prediction request). */
  labelled: number;
  /** Of those, how many matched the prediction. */
  correct: number;
}

/** A sampled request and what the model answered (SLUICE_GATEWAY_SAMPLE_RATE). */
export interface GatewayRequestsTable {
  request_id: string;
  deployment: string;
  model: string;
  version: number;
  at: Time;
  rows: Json;
  predictions: Json;
  latency_ms: number;
}
