// Data shared by the workflow, its activities and the API. Types only: no runtime code.
import type { ArtifactRef } from '../artifacts/store.js';
import type { Plan, PlanStep } from '../pipeline/plan.js';

export type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cached' | 'cancelled';
export type RunState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface StepResult {
  status: 'succeeded' | 'cached';
  outputs: Record<string, ArtifactRef>;
  metrics: Record<string, number>;
  attempt: number;
  imageDigest?: string;
  cacheKey?: string;
  /** For a cache hit (or a step reused by a retry): the run whose result this is. */
  cachedFromRun?: string;
  reattached?: boolean;
  /** The whole activity: inputs, run, outputs, records. */
  durationMs: number;
  /** The step's own run as its executor saw it (process: spawn to exit; docker: create to removal). */
  runMs?: number;
}

export interface RunInput {
  /** Empty for scheduled runs: the workflow derives it from its workflow id. */
  runId: string;
  plan: Plan;
  trigger: string;
  createdBy?: string;
  /** Results of steps reused from an earlier run (retry from the failed step). */
  reuse?: Record<string, StepResult>;
}

export interface StepStatus {
  id: string;
  state: StepState;
  attempt: number;
  startedAt?: string;
  finishedAt?: string;
  outputs: Record<string, ArtifactRef>;
  metrics: Record<string, number>;
  cacheHit: boolean;
  cachedFromRun?: string;
  /** How long the step's own process or container ran (absent for cached and skipped steps). */
  runMs?: number;
  error?: string;
}

export interface RunStatus {
  runId: string;
  pipeline: string;
  version: number;
  state: RunState;
  steps: StepStatus[];
  error?: string;
}

export interface ExecuteStepInput {
  runId: string;
  pipeline: string;
  step: PlanStep;
  params: Plan['params'];
  /** Upstream outputs already resolved to artifact refs; URI inputs are resolved by the activity. */
  inputs: Record<string, ArtifactRef | { uri: string }>;
}

export interface RunRecord {
  runId: string;
  workflowId: string;
  pipeline: string;
  version: number;
  params: Plan['params'];
  trigger: string;
  createdBy?: string;
  state: RunState;
  error?: string;
  /** Final states of steps that ran no activity (skipped, reused by a retry, never started). */
  steps: Array<Pick<StepStatus, 'id' | 'state' | 'outputs' | 'metrics' | 'cachedFromRun'>>;
}
