/** The `approve` step kind: the run waits for a person to approve or reject, or for its timeout. */
import { z } from 'zod';
import type { PlanStepBase } from '../plan.js';
import type { StepSpec } from '../schema.js';
import { parseDuration } from '../units.js';

/** A person has a week unless the step says otherwise (the base `timeout`). */
export const APPROVE_DEFAULT_TIMEOUT = '7d';
export const APPROVAL_TIMEOUT_ACTIONS = ['reject', 'approve'] as const;

/**
 * The fields an approve step adds to the base ones; schema.ts spreads them beside `stepBase`
 * (importing the base here would be an import cycle).
 */
export const approveStepShape = {
  kind: z.literal('approve'),
  outputs: z.never({ error: 'an approve step produces no outputs' }).optional(),
  message: z.string().min(1).max(2000).optional(),
  onTimeout: z.enum(APPROVAL_TIMEOUT_ACTIONS).optional(),
  distinctApprover: z.boolean().optional(),
};
export type ApproveStepSpec = Extract<StepSpec, { kind: 'approve' }>;

export interface ApprovePlanStep extends PlanStepBase {
  kind: 'approve';
  message?: string;
  onTimeout: (typeof APPROVAL_TIMEOUT_ACTIONS)[number];
  /** The approver's key must not be the one that started the run. */
  distinctApprover: boolean;
}

/** The approve-specific fields of the plan step (on top of the common ones). */
export function approveFields(step: ApproveStepSpec) {
  return {
    kind: step.kind,
    timeoutMs: parseDuration(step.timeout ?? APPROVE_DEFAULT_TIMEOUT),
    ...(step.message !== undefined ? { message: step.message } : {}),
    onTimeout: step.onTimeout ?? 'reject',
    distinctApprover: step.distinctApprover ?? false,
  };
}
