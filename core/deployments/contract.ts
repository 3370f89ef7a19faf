// The deployment workflow's contract: its id, updates, query and their types, shared by the workflow
// (which handles them) and the API / step kind (which send them). Types and constants only, so the
// workflow bundle may import it.
import type { InstanceRef } from './instance.js';
import type { DeploymentSpec } from './spec.js';

export const deploymentWorkflowId = (name: string): string => `deployment:${name}`;

export const DEPLOY_UPDATE = 'deploy';
export const ROLLBACK_UPDATE = 'rollback';
export const STATUS_QUERY = 'status';
export const RETIRE_UPDATE = 'retire';

/** Ask to serve `version` (with `spec` replacing the deployment's spec first, when given). */
export interface DeployRequest {
  version?: number;
  spec?: DeploymentSpec;
  by: string;
}
export interface RollbackRequest {
  by: string;
}
/** Stop serving for good: routes emptied, every instance stopped, the workflow ends. */
export interface RetireRequest {
  by: string;
}
export interface Retired {
  /** The versions whose instances were asked to stop. */
  stopped: number[];
}

/** The update's answer: the rollout it started, or none (only the spec changed, or the version already serves). */
export interface DeployAccepted {
  rolloutId: string | null;
  /** Why no rollout started. */
  noop?: string;
}

/** ApplicationFailure types of the updates' validators; the API maps them to 409 / 400. */
export const DeployRefusal = {
  Busy: 'DeploymentBusy',
  NoPrevious: 'DeploymentNoPrevious',
  Invalid: 'DeploymentInvalid',
  Retiring: 'DeploymentRetiring',
} as const;

export interface Serving {
  version: number;
  instance: InstanceRef;
}

export interface ActiveRollout {
  id: string;
  kind: 'deploy' | 'rollback';
  toVersion: number;
  fromVersion: number | null;
  /** Where it is now: starting, ready, smoke, traffic 10%, baking, … */
  phase: string;
}

export interface DeploymentState {
  name: string;
  spec: DeploymentSpec;
  current: Serving | null;
  previous: Serving | null;
  /** Rollouts run by this deployment, over every continue-as-new. */
  rollouts: number;
}

/** What the status query answers. */
export interface DeploymentStatus extends DeploymentState {
  active: ActiveRollout | null;
  last: { id: string; status: string; reason: string | null } | null;
}
