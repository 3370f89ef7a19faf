import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { audited, type Actor } from '../access/audit.js';
import { ConflictError, ForbiddenError, NotFoundError, SluiceError } from '../errors.js';
import {
  APPROVAL_UPDATE,
  ApprovalRefusal,
  type ApprovalDecisionKind,
  type ApprovalRecord,
  type ApprovalRequest,
  type ApprovalResult,
} from './approval-update.js';
import type { RunContext } from './context.js';
import { getRunWithSteps, type RunWithSteps } from './queries.js';
import { isActiveRun } from './status.js';

/** How long a decision waits for a worker to take it before the caller is told to retry. */
const UPDATE_DEADLINE_MS = 20_000;

export interface Decider {
  actor: Actor;
  /** The key's name, compared with the run's `createdBy`, and its id. */
  name: string;
  keyId?: string;
}

const REFUSALS: Record<string, (m: string) => SluiceError> = {
  [ApprovalRefusal.UnknownStep]: (m) => new SluiceError('not-found', 404, m),
  [ApprovalRefusal.NotAwaiting]: (m) => new ConflictError(m),
  [ApprovalRefusal.SameApprover]: (m) => new ForbiddenError(m),
};

/** A finished run cannot take a decision; the same decision it already recorded is answered again. */
function decidedBefore(run: RunWithSteps, step: string, decision: ApprovalDecisionKind): ApprovalResult {
  const row = run.steps.find((s) => s.step_id === step);
  const d = row?.details as Partial<ApprovalRecord> | null | undefined;
  if (d?.decision === decision) return { step, ...(d as ApprovalRecord), repeated: true };
  throw new ConflictError(
    `run ${run.id} is ${run.status}` +
      (d?.decision ? `; step '${step}' was ${d.decision} by ${d.by}` : `; step '${step}' is not awaiting approval`),
  );
}

/**
 * Approves or rejects a step that awaits approval: the workflow's approval update validates and
 * records it (unknown step, not awaiting, or the run's own creator where a distinct approver is
 * required are refused); a new decision is then audited. The same decision twice is answered
 * with the first, and audited once.
 */
export async function decideStep(
  ctx: RunContext,
  runId: string,
  req: { step: string; decision: ApprovalDecisionKind; comment?: string },
  by: Decider,
): Promise<ApprovalResult> {
  const run = await getRunWithSteps(ctx.db, runId);
  if (!run) throw new NotFoundError('run', runId);
  if (!isActiveRun(run.status)) return decidedBefore(run, req.step, req.decision);
  const update: ApprovalRequest = {
    step: req.step,
    decision: req.decision,
    by: by.name,
    ...(by.keyId ? { byKey: by.keyId } : {}),
    ...(req.comment ? { comment: req.comment } : {}),
  };
  let result: ApprovalResult;
  try {
    const handle = ctx.temporal.workflow.getHandle(run.workflow_id);
    result = await ctx.temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
      handle.executeUpdate<ApprovalResult, [ApprovalRequest]>(APPROVAL_UPDATE, { args: [update] }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const refusal = REFUSALS[err.cause.type ?? ''];
      if (refusal) throw refusal(err.cause.message);
    }
    // The workflow may have closed between the read above and the update: answer from its record.
    const now = await getRunWithSteps(ctx.db, runId);
    if (now && !isActiveRun(now.status)) return decidedBefore(now, req.step, req.decision);
    if (err instanceof WorkflowNotFoundError) throw new ConflictError(`run ${runId} has not started yet; retry`);
    throw new SluiceError('unavailable', 503, `no worker took the decision on run ${runId}; retry`);
  }
  if (!result.repeated) {
    await audited(ctx.db, by.actor, (uow) =>
      uow.audit(`run.step.${req.decision === 'approved' ? 'approve' : 'reject'}`, 'run', runId, {
        step: req.step,
        decision: req.decision,
        comment: req.comment ?? null,
      }),
    );
  }
  return result;
}
