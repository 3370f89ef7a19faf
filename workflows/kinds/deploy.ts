// The deploy kind: an activity asks the deployment's own workflow for a rollout and waits for its outcome.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import { FailureType } from '../../core/errors.js';
import type { DeployPlanStep } from '../../core/pipeline/kinds/deploy.js';
import type { StepResult } from '../../core/runs/contract.js';
import type { StepContext } from '../step-kinds.js';

type Activities = ReturnType<typeof createActivities>;

export async function runDeploy(step: DeployPlanStep, ctx: StepContext): Promise<StepResult> {
  let model: string | { model: string; version: number };
  if (step.from !== undefined) {
    const d = ctx.steps.get(step.from)?.details;
    if (typeof d?.model !== 'string' || typeof d.version !== 'number')
      throw ApplicationFailure.nonRetryable(`step ${step.from} registered no model version`, FailureType.InvalidStep);
    model = { model: d.model, version: d.version };
  } else model = step.model!;
  const { deployStep } = proxyActivities<Activities>({
    startToCloseTimeout: step.timeoutMs,
    heartbeatTimeout: '30s',
    summary: `step ${step.id}: deploy to ${step.deployment}`,
    retry: {
      maximumAttempts: step.retry.maximumAttempts + 10,
      initialInterval: step.retry.initialIntervalMs,
      backoffCoefficient: step.retry.backoffCoefficient,
      maximumInterval: step.retry.maximumIntervalMs,
      nonRetryableErrorTypes: [FailureType.InvalidStep, 'ValidationError', 'ConflictError', 'NotFoundError'],
    },
  });
  const r = await deployStep({
    runId: ctx.runId,
    stepId: step.id,
    deployment: step.deployment,
    model,
    ...(step.spec ? { spec: step.spec } : {}),
  });
  if (r.outcome === 'failed')
    throw ApplicationFailure.nonRetryable(
      `rollout ${r.rolloutId} of ${r.model}/${r.version} to ${r.deployment} failed: ${r.reason}`,
      FailureType.StepFailed,
    );
  // A rolled-back rollout is an outcome: the step ends normally and says why.
  return {
    status: 'succeeded',
    outputs: {},
    metrics: {},
    attempt: 1,
    durationMs: 0,
    details: { ...r },
  };
}
