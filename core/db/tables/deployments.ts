import type { Insertable, Selectable } from 'kysely';
import type { Json, JsonWithDefault, NullableTimestamp, Timestamp } from './common.js';

/** A named deployment and its spec (core/deployments/spec.ts), as last written. */
export interface DeploymentsTable {
  name: string;
  spec: Json;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type RolloutKind = 'deploy' | 'rollback';
export type RolloutStatus = 'running' | 'succeeded' | 'rolled-back' | 'failed';

/** One rollout of a deployment: from one version to another, its outcome, why, and its timeline. */
export interface DeploymentRolloutsTable {
  id: string;
  deployment: string;
  kind: RolloutKind;
  model: string;
  from_version: number | null;
  to_version: number;
  status: RolloutStatus;
  reason: string | null;
  requested_by: string | null;
  /** Array of { at, step, detail } (core/deployments/rollouts.ts). */
  timeline: JsonWithDefault;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
}

export type DeploymentRow = Selectable<DeploymentsTable>;
export type RolloutRow = Selectable<DeploymentRolloutsTable>;
export type NewRollout = Insertable<DeploymentRolloutsTable>;
