import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { Json, JsonWithDefault, NullableTimestamp, Serial, Timestamp } from './common.js';
import type { RunOutcome, RunStatus, StepStatus } from '../../runs/status.js';

export interface RunsTable {
  id: string;
  pipeline: string;
  pipeline_version: number;
  workflow_id: string;
  status: RunStatus;
  trigger: string;
  params: Json;
  idempotency_key: string | null;
  retry_of: string | null;
  error: string | null;
  created_by: string | null;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  outcome: ColumnType<RunOutcome | null, RunOutcome | null | undefined, RunOutcome | null>;
  outcome_reason: ColumnType<string | null, string | null | undefined, string | null>;
}
export interface RunStepsTable {
  run_id: string;
  step_id: string;
  status: StepStatus;
  attempt: number;
  /** Attempts that failed by the step's own doing (exit code, timeout); bounded by its retries. */
  failures: ColumnType<number, number | undefined, number>;
  executor: string | null;
  image_digest: string | null;
  cache_key: string | null;
  cached_from_run: string | null;
  outputs: JsonWithDefault;
  metrics: JsonWithDefault;
  error: string | null;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  details: ColumnType<unknown, string | null | undefined, string | null>;
  skip_reason: ColumnType<string | null, string | null | undefined, string | null>;
}
export interface ArtifactsTable {
  id: Serial;
  uri: string;
  sha256: string;
  size: string | number;
  kind: string;
  run_id: string | null;
  step_id: string | null;
  name: string | null;
  created_at: Timestamp;
}
export interface StepCacheTable {
  cache_key: string;
  run_id: string;
  step_id: string;
  outputs: Json;
  metrics: Json;
  created_at: Timestamp;
}
export type RunRow = Selectable<RunsTable>;
export type NewRun = Insertable<RunsTable>;
export type RunUpdate = Updateable<RunsTable>;
export type RunStepRow = Selectable<RunStepsTable>;
export type NewRunStep = Insertable<RunStepsTable>;
export type ArtifactRow = Selectable<ArtifactsTable>;
export type StepCacheRow = Selectable<StepCacheTable>;
