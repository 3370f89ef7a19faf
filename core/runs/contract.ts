// The run contract: what the runPipeline workflow, its activities and the API exchange.
// Types only: no runtime code, so the workflow bundle may import it.
import type { ArtifactRef } from '../artifacts/store.js';
import type { ContainerPlanStep, Plan } from '../pipeline/plan.js';
import type { LiveRunStatus, RunOutcome, StepStatus } from './status.js';

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
  /** What a built-in kind found or did, for people to read (a gate's checks, a registered version…). */
  details?: StepDetails;
  /** The run's outcome this step decided (a passed promote, a failed gate, a rejection), and why. */
  outcome?: RunOutcome;
  outcomeReason?: string;
  /**
   * Ends the run's path here as a normal outcome (a failed gate, a rejection): every step that
   * depends on this one is skipped with this reason, and the run still succeeds.
   */
  haltReason?: string;
}

/** Kind-specific facts about a step, JSON; each kind documents its own keys. */
export type StepDetails = Record<string, unknown>;

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
  details?: StepDetails;
  /** Set on a step that ended the run's path normally (see StepResult.haltReason). */
  haltReason?: string;
  /** Why a skipped step was skipped: its `when`, or an upstream halt or skip. */
  skipReason?: string;
}

/** The run as the workflow tracks it: the `status` query's answer and the workflow's result. */
export interface RunProgress {
  runId: string;
  pipeline: string;
  version: number;
  state: LiveRunStatus;
  steps: StepProgress[];
  error?: string;
  outcome?: RunOutcome;
  outcomeReason?: string;
}

export interface ExecuteStepInput {
  runId: string;
  pipeline: string;
  step: ContainerPlanStep;
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
  outcome?: RunOutcome;
  outcomeReason?: string;
  /**
   * Steps no activity records itself: skipped, reused by a retry, never started, or run by the
   * workflow (built-in kinds); on `running`, those settled so far.
   */
  steps: Array<
    Pick<
      StepProgress,
      | 'id'
      | 'state'
      | 'outputs'
      | 'metrics'
      | 'cachedFromRun'
      | 'details'
      | 'skipReason'
      | 'error'
      | 'attempt'
      | 'startedAt'
      | 'finishedAt'
    >
  >;
}
