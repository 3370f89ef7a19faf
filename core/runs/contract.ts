// The run contract: what the runPipeline workflow, its activities and the API exchange.
// Types only: no runtime code, so the workflow bundle may import it.
import type { ArtifactRef } from '../artifacts/store.js';
import type { Plan, PlanStep } from '../pipeline/plan.js';
import type { LiveRunStatus, StepStatus } from './status.js';

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

/** The input of the runPipeline workflow. */
export interface RunPipelineInput {
  /** Empty for scheduled runs: the workflow derives it from its workflow id. */
  runId: string;
  plan: Plan;
  trigger: string;
  createdBy?: string;
  /** Results of steps reused from an earlier run (retry from the failed step). */
  reuse?: Record<string, StepResult>;
}

/** One step as the workflow tracks it (answered by the `status` query). */
export interface StepProgress {
  id: string;
  state: StepStatus;
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

/** The run as the workflow tracks it: the `status` query's answer and the workflow's result. */
export interface RunProgress {
  runId: string;
  pipeline: string;
  version: number;
  state: LiveRunStatus;
  steps: StepProgress[];
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
  state: LiveRunStatus;
  error?: string;
  /** Final states of steps that ran no activity (skipped, reused by a retry, never started). */
  steps: Array<Pick<StepProgress, 'id' | 'state' | 'outputs' | 'metrics' | 'cachedFromRun'>>;
}
