import type { ColumnType, Generated, Selectable } from 'kysely';
import type { Json, JsonWithDefault } from './common.js';

type At = ColumnType<Date, Date | string, Date | string>;
/** float8 that may be absent (no p-value for a distance). */
type Float = ColumnType<number | null, number | null | undefined, number | null>;

/** One flush window of one API process's per-feature bin counts for one deployment version. */
export interface DriftWindowsTable {
  id: Generated<string>;
  deployment: string;
  model: string;
  version: number;
  /** The dataset version whose bins the counts use, `name/version`. */
  reference: string;
  window_start: At;
  window_end: At;
  rows: number;
  /** WindowCounts (core/drift/bins.ts). */
  counts: Json;
}

/** One feature's verdict in one check; feature '' is the dataset-level row (statistic = drifted share). */
export interface DriftResultsTable {
  id: Generated<string>;
  check_id: string;
  deployment: string;
  model: string;
  version: number;
  reference: string;
  at: At;
  feature: string;
  method: string;
  statistic: Float;
  p_value: Float;
  threshold: number;
  drifted: boolean;
  n: number;
  details: JsonWithDefault;
}

/** A retraining run drift started. */
export interface DriftRetrainsTable {
  check_id: string;
  deployment: string;
  pipeline: string;
  run_id: string;
  at: At;
  report: Json;
}

export type DriftResultRow = Selectable<DriftResultsTable>;
export type DriftWindowRow = Selectable<DriftWindowsTable>;
export type DriftRetrainRow = Selectable<DriftRetrainsTable>;
