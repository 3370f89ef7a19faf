// How each step kind runs inside the workflow: one case per kind of the plan's union.
// Workflow code: deterministic, no I/O except through activities.
import type { Plan, PlanStep } from '../core/pipeline/plan.js';
import { runApprove } from './kinds/approve.js';
import { runContainer } from './kinds/container.js';
import { runDeploy } from './kinds/deploy.js';
import { runEvaluate } from './kinds/evaluate.js';
import { runIngest } from './kinds/ingest.js';
import { runGate } from './kinds/gate.js';
import { runPromote, runRegister } from './kinds/registry.js';
import type {
  ExecuteStepInput,
  RunPipelineInput,
  RunProgress,
  StepProgress,
  StepResult,
} from '../core/runs/contract.js';

/** What a kind may read and show while its step runs. */
export interface StepContext {
  runId: string;
  input: RunPipelineInput;
  plan: Plan;
  /** Every step's progress so far (upstream metrics, outputs, details). */
  steps: ReadonlyMap<string, StepProgress>;
  /** This step's own progress: a kind may show an intermediate state on it (e.g. awaiting-approval). */
  progress: StepProgress;
  /** The run's live state (e.g. `waiting` while a person decides). */
  run: RunProgress;
  /** Upstream outputs and URIs resolved for the step's `inputs`. */
  inputs: ExecuteStepInput['inputs'];
  /** Writes the run row and the workflow-run steps settled so far, for readers of the database. */
  persist(): Promise<void>;
}

/**
 * Kinds whose activity writes its own step row as it runs; the workflow records every other kind.
 * An evaluate step's candidate activity writes the row while it runs too, but only the workflow
 * knows the step's details (the baseline), so the workflow's record has the last word.
 */
export function recordsItself(step: PlanStep): boolean {
  return step.kind === 'container';
}

/** Runs one step of any kind to its result; a thrown error fails the step (cancellation cancels it). */
export function runStepKind(step: PlanStep, ctx: StepContext): Promise<StepResult> {
  switch (step.kind) {
    case 'container':
      return runContainer({
        runId: ctx.runId,
        pipeline: ctx.plan.pipeline,
        step,
        params: ctx.plan.params,
        inputs: ctx.inputs,
      });
    case 'ingest':
      return runIngest(step, ctx);
    case 'gate':
      return Promise.resolve(runGate(step, ctx));
    case 'register':
      return runRegister(step, ctx);
    case 'promote':
      return runPromote(step, ctx);
    case 'approve':
      return runApprove(step, ctx);
    case 'evaluate':
      return runEvaluate(step, ctx);
    case 'deploy':
      return runDeploy(step, ctx);
    default: {
      const unknownKind: never = step;
      throw new Error(`unsupported step kind '${(unknownKind as { kind: string }).kind}'`);
    }
  }
}
