// Pure helpers for runPipeline: replay-safe (no I/O, no clocks).
import { ActivityFailure, ApplicationFailure, TemporalFailure } from '@temporalio/workflow';
import type { ExprContext } from '../core/pipeline/expr-eval.js';
import type { Plan, PlanStep } from '../core/pipeline/plan.js';
import type { ExecuteStepInput, StepProgress } from '../core/runs/contract.js';

/** A skip propagates: a step with any skipped dependency is skipped too. */
export function skippedByUpstream(deps: StepProgress[]): boolean {
  return deps.some((d) => d.state === 'skipped');
}

/** Upstream step outputs become artifact refs; URI inputs pass through for the activity to resolve. */
export function inputRefs(step: PlanStep, steps: Map<string, StepProgress>): ExecuteStepInput['inputs'] {
  const out: ExecuteStepInput['inputs'] = {};
  for (const [name, src] of Object.entries(step.inputs)) {
    if (src.type === 'uri') {
      out[name] = { uri: src.uri };
      continue;
    }
    const ref = steps.get(src.step)?.outputs[src.output];
    if (!ref) {
      throw ApplicationFailure.nonRetryable(
        `input ${name} of step ${step.id}: step ${src.step} produced no output ${src.output}`, 'InputNotFound');
    }
    out[name] = ref;
  }
  return out;
}

/** The innermost failure's message: what the step itself said, not "activity task failed". */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while ((e instanceof ActivityFailure || e instanceof TemporalFailure) && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** What a `when` condition sees: params, and each step's status and metrics so far. */
export function whenContext(params: Plan['params'], steps: Map<string, StepProgress>): ExprContext {
  const out: ExprContext['steps'] = {};
  for (const s of steps.values()) out[s.id] = { status: s.state, metrics: s.metrics };
  return { params, steps: out };
}

/** `run-<id>` → `<id>`, with characters that can't be part of a run id replaced by '-'. */
export function runIdFromWorkflowId(workflowId: string): string {
  return workflowId.replace(/^run-/, '').replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 128);
}
