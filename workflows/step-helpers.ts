// Pure helpers for runPipeline: replay-safe (no I/O, no clocks).
import { ActivityFailure, ApplicationFailure, TemporalFailure } from '@temporalio/workflow';
import { evalWhen, type ExprContext } from '../core/pipeline/expr-eval.js';
import type { Plan, PlanStep } from '../core/pipeline/plan.js';
import type { ExecuteStepInput, RunPipelineInput, StepProgress, StepResult } from '../core/runs/contract.js';
import { isSettledStep } from '../core/runs/status.js';

/**
 * Why a step must be skipped for its dependencies' sake, if it must: a skip propagates, and so
 * does a halt (a step that ended the run's path normally, such as a failed gate).
 */
export function upstreamSkipReason(deps: StepProgress[]): string | undefined {
  const halted = deps.find((d) => d.haltReason !== undefined);
  if (halted) return `step ${halted.id}: ${halted.haltReason}`;
  const skipped = deps.find((d) => d.state === 'skipped');
  if (skipped) return skipped.skipReason ?? `step ${skipped.id} was skipped`;
  return undefined;
}

/** How a pending step leaves `pending`: served by an earlier run, skipped, or started. */
export type StepDecision =
  | { step: PlanStep; action: 'reuse'; result: StepResult }
  | { step: PlanStep; action: 'skip'; reason: string }
  | { step: PlanStep; action: 'start' };

/**
 * One scheduling pass in the plan's topological order: the pending steps whose dependencies
 * are settled, while fewer than `parallelism` steps run. Each decision sees the ones before it
 * (a reused or skipped step settles its dependants at once, a started one takes a slot), so
 * applying them in order gives the workflow the same activity commands, in the same order,
 * as deciding and applying step by step.
 */
export function pickSteps(
  plan: Plan,
  steps: ReadonlyMap<string, StepProgress>,
  running: number,
  reuse: RunPipelineInput['reuse'],
): StepDecision[] {
  const view = new Map([...steps].map(([id, s]) => [id, { ...s }]));
  const decisions: StepDecision[] = [];
  let busy = running;
  for (const step of plan.steps) {
    const s = view.get(step.id)!;
    if (s.state !== 'pending' || busy >= plan.parallelism) continue;
    const deps = step.dependsOn.map((d) => view.get(d)!);
    if (!deps.every((d) => isSettledStep(d.state))) continue;
    const reused = reuse?.[step.id];
    if (reused) {
      decisions.push({ step, action: 'reuse', result: reused });
      Object.assign(s, { state: 'cached', metrics: reused.metrics, outputs: reused.outputs });
    } else {
      const reason =
        upstreamSkipReason(deps) ??
        (step.when && !evalWhen(step.when, whenContext(plan.params, view))
          ? `when: ${step.whenSource ?? 'condition'} is false`
          : undefined);
      if (reason !== undefined) {
        decisions.push({ step, action: 'skip', reason });
        Object.assign(s, { state: 'skipped', skipReason: reason });
        continue;
      }
      decisions.push({ step, action: 'start' });
      s.state = 'running';
      busy++;
    }
  }
  return decisions;
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
        `input ${name} of step ${step.id}: step ${src.step} produced no output ${src.output}`,
        'InputNotFound',
      );
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
export function whenContext(params: Plan['params'], steps: ReadonlyMap<string, StepProgress>): ExprContext {
  const out: ExprContext['steps'] = {};
  for (const s of steps.values()) out[s.id] = { status: s.state, metrics: s.metrics };
  return { params, steps: out };
}

/** `run-<id>` → `<id>`, with characters that can't be part of a run id replaced by '-'. */
export function runIdFromWorkflowId(workflowId: string): string {
  return workflowId
    .replace(/^run-/, '')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 128);
}
