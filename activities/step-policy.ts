import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../core/errors.js';
import type { ContainerPlanStep } from '../core/pipeline/plan.js';
import type { ExecutorName } from '../core/pipeline/schema.js';
import { checkPlanStep } from '../core/policy/check.js';
import { upsertStep } from '../core/runs/projection.js';
import type { ActivityDeps } from './deps.js';
import type { StepAttempt } from './step-failures.js';

/**
 * The worker's own line of the step policy, before anything of the step is fetched or started:
 * the API checked the spec when it was applied, but the policy may have tightened since, or the
 * spec reached this worker another way. A refusal is the step's final failure, naming each rule.
 */
export async function enforceStepPolicy(
  deps: ActivityDeps,
  step: ContainerPlanStep,
  executor: ExecutorName,
  attempt: StepAttempt,
): Promise<void> {
  const violations = checkPlanStep(deps.policy, step, executor);
  if (!violations.length) return;
  const message = `refused by the step policy: ${violations.map((v) => `rule "${v.rule}": ${v.message}`).join('; ')}`;
  await upsertStep(deps.db, { ...attempt, status: 'failed', error: message });
  throw ApplicationFailure.create({
    message,
    type: FailureType.PolicyViolation,
    nonRetryable: true,
    details: violations,
  });
}

/** The limits a step leaves unset are the policy's maximums, so "no limit asked" never means unlimited. */
export function limitedResources(deps: ActivityDeps, step: ContainerPlanStep): ContainerPlanStep['resources'] {
  const { maxCpu, maxMemoryMb } = deps.policy;
  return {
    ...step.resources,
    ...(step.resources.cpu === undefined && maxCpu !== undefined ? { cpu: maxCpu } : {}),
    ...(step.resources.memoryMb === undefined && maxMemoryMb !== undefined ? { memoryMb: maxMemoryMb } : {}),
  };
}
