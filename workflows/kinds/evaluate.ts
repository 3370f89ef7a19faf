// The evaluate kind: the user's evaluation program runs as a container step for the candidate and,
// when the baseline exists, for the baseline on the same data, side by side.
import { ApplicationFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import { FailureType } from '../../core/errors.js';
import { baselineStepId, EVALUATE_MODEL_INPUT, type EvaluatePlanStep } from '../../core/pipeline/kinds/evaluate.js';
import type { ContainerPlanStep } from '../../core/pipeline/plan.js';
import type { ExecuteStepInput, StepDetails, StepResult } from '../../core/runs/contract.js';
import { failureMessage } from '../step-helpers.js';
import type { StepContext } from '../step-kinds.js';
import { runContainer } from './container.js';

type Activities = ReturnType<typeof createActivities>;

function evaluateActivities(step: EvaluatePlanStep) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '1m',
    summary: `step ${step.id}: resolve baseline ${step.baseline ?? ''}`,
    retry: { maximumAttempts: 10 },
  });
}

/** The evaluation as a container step (`model` replaced for the baseline). */
function evaluation(step: EvaluatePlanStep, id: string, model?: string): ContainerPlanStep {
  const { kind: _kind, baseline: _baseline, ...rest } = step;
  const inputs =
    model === undefined
      ? rest.inputs
      : { ...rest.inputs, [EVALUATE_MODEL_INPUT]: { type: 'uri' as const, uri: model } };
  return { ...rest, id, kind: 'container', inputs };
}

/**
 * The evaluation sees no run params (SLUICE_PARAMS is `{}`): its result depends on the model, the
 * data, the image and the command alone, so the step cache serves an unchanged baseline to a run
 * whose training params differ. Params reach it through `${params.x}` in command and env.
 */
function evaluate(ctx: StepContext, step: ContainerPlanStep, inputs: ExecuteStepInput['inputs']) {
  return runContainer({ runId: ctx.runId, pipeline: ctx.plan.pipeline, step, params: {}, inputs });
}

function checked(r: PromiseSettledResult<StepResult>, what: string): StepResult {
  if (r.status === 'rejected') {
    if (isCancellation(r.reason)) throw r.reason;
    throw ApplicationFailure.nonRetryable(
      `evaluation of ${what} failed: ${failureMessage(r.reason)}`,
      FailureType.StepFailed,
    );
  }
  if (Object.keys(r.value.metrics).length === 0) {
    throw ApplicationFailure.nonRetryable(
      `evaluation of ${what} wrote no metrics: metrics.json must hold {"name": number, …}`,
      FailureType.StepFailed,
    );
  }
  return r.value;
}

export async function runEvaluate(step: EvaluatePlanStep, ctx: StepContext): Promise<StepResult> {
  const found =
    step.baseline !== undefined ? await evaluateActivities(step).resolveBaseline({ uri: step.baseline }) : undefined;
  const candidate = evaluate(ctx, evaluation(step, step.id), ctx.inputs);
  const baseline =
    found?.found === true
      ? evaluate(ctx, evaluation(step, baselineStepId(step.id), found.uri), {
          ...ctx.inputs,
          [EVALUATE_MODEL_INPUT]: { uri: found.uri },
        })
      : undefined;
  // Both settle before the step does: neither evaluation is left running behind a failed one.
  const [c, b] = await Promise.allSettled([candidate, ...(baseline ? [baseline] : [])]);
  const result = checked(c!, 'the candidate');
  let details: StepDetails = { baseline: null };
  if (step.baseline !== undefined && found?.found === false) {
    details = { baseline: null, baselineSkipped: found.reason };
  } else if (found?.found === true) {
    const base = checked(b!, `the baseline ${found.uri}`);
    details = {
      baseline: { uri: step.baseline, model: found.model, version: found.version },
      baselineMetrics: base.metrics,
      baselineCached: base.status === 'cached',
      baselineLog: baselineStepId(step.id),
      ...(base.cachedFromRun !== undefined ? { baselineCachedFromRun: base.cachedFromRun } : {}),
    };
  }
  return { ...result, details };
}
