// The approve kind, workflow side: the step waits (durably: a condition with a timer) for the
// approval update or its timeout. Deterministic code only.
import {
  ApplicationFailure,
  condition,
  defineUpdate,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ApprovePlanStep } from '../../core/pipeline/kinds/approve.js';
import {
  APPROVAL_UPDATE,
  ApprovalRefusal,
  WAITING_STATUS,
  approveCommand,
  type ApprovalRecord,
  type ApprovalRequest,
  type ApprovalResult,
} from '../../core/runs/approval-update.js';
import type { RunPipelineInput, StepProgress, StepResult } from '../../core/runs/contract.js';
import { SluiceStatusKey } from '../../core/temporal/search-attributes.js';
import type { StepContext } from '../step-kinds.js';

export const approvalUpdate = defineUpdate<ApprovalResult, [ApprovalRequest]>(APPROVAL_UPDATE);

const refuse = (type: string, message: string): never => {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
};

/** The decision recorded in a step's details, if one was made. */
function recorded(s: StepProgress | undefined): ApprovalRecord | undefined {
  const d = s?.details as Partial<ApprovalRecord> | undefined;
  return d?.decision ? (d as ApprovalRecord) : undefined;
}

/**
 * Installs the approval update for the whole run (installed at the start, so an early or stray
 * decision is refused with a reason rather than left without a handler). The validator refuses
 * what cannot be decided; the handler records the decision on the step, whose wait then ends.
 * The same decision twice is answered with the first one (`repeated`), not refused.
 */
export function handleApprovals(input: RunPipelineInput, steps: ReadonlyMap<string, StepProgress>): void {
  const validate = (req: ApprovalRequest): void => {
    const step = input.plan.steps.find((s) => s.id === req.step);
    if (!step) return refuse(ApprovalRefusal.UnknownStep, `run has no step '${req.step}'`);
    if (step.kind !== 'approve')
      return refuse(ApprovalRefusal.NotAwaiting, `step '${req.step}' is a ${step.kind} step, not an approve step`);
    const s = steps.get(step.id)!;
    const done = recorded(s);
    if (done) {
      if (done.decision === req.decision) return;
      return refuse(ApprovalRefusal.NotAwaiting, `step '${req.step}' was already ${done.decision} by ${done.by}`);
    }
    if (s.state !== 'awaiting-approval')
      return refuse(ApprovalRefusal.NotAwaiting, `step '${req.step}' is ${s.state}, not awaiting approval`);
    // Rejecting one's own run stays allowed (it is no more than cancelling it).
    if (req.decision === 'approved' && step.distinctApprover && input.createdBy && req.by === input.createdBy)
      return refuse(
        ApprovalRefusal.SameApprover,
        `step '${req.step}' needs an approver other than the key that started the run (${input.createdBy})`,
      );
  };
  setHandler(
    approvalUpdate,
    (req) => {
      const s = steps.get(req.step)!;
      const done = recorded(s);
      if (done) return { step: req.step, ...done, repeated: true };
      const decision = record(s, req);
      return { step: req.step, ...decision, repeated: false };
    },
    { validator: validate },
  );
}

function record(s: StepProgress, req: Omit<ApprovalRequest, 'step'>): ApprovalRecord {
  const decision: ApprovalRecord = {
    decision: req.decision,
    by: req.by,
    ...(req.byKey ? { byKey: req.byKey } : {}),
    comment: req.comment ?? null,
    at: new Date().toISOString(),
  };
  s.details = { ...s.details, ...decision };
  return decision;
}

/** Waits for a person (or the timeout), showing the wait on the run, the step and in Temporal. */
export async function runApprove(step: ApprovePlanStep, ctx: StepContext): Promise<StepResult> {
  const startedMs = Date.now();
  const s = ctx.progress;
  s.state = 'awaiting-approval';
  s.details = {
    ...(step.message !== undefined ? { message: step.message } : {}),
    expiresAt: new Date(startedMs + step.timeoutMs).toISOString(),
    onTimeout: step.onTimeout,
    distinctApprover: step.distinctApprover,
  };
  ctx.run.state = 'waiting';
  upsertSearchAttributes([{ key: SluiceStatusKey, value: WAITING_STATUS }]);
  setCurrentDetails(
    `**Waiting for approval** of step \`${step.id}\`${step.message ? `: ${step.message}` : ''}\n\n` +
      `\`${approveCommand(ctx.runId, step.id)}\` (or \`--reject\`); on timeout: ${step.onTimeout}`,
  );
  await ctx.persist();
  const decided = await condition(() => recorded(s) !== undefined, step.timeoutMs);
  if (!decided) record(s, { decision: step.onTimeout === 'approve' ? 'approved' : 'rejected', by: 'timeout' });
  s.state = 'running';
  if (![...ctx.steps.values()].some((o) => o.state === 'awaiting-approval')) {
    ctx.run.state = 'running';
    upsertSearchAttributes([{ key: SluiceStatusKey, value: 'running' }]);
    setCurrentDetails('');
  }
  await ctx.persist();
  const d = recorded(s)!;
  const result: StepResult = {
    status: 'succeeded',
    outputs: {},
    metrics: {},
    attempt: 1,
    durationMs: Date.now() - startedMs,
    details: s.details,
  };
  if (d.decision === 'approved') return result;
  const reason = `rejected by ${d.by}${d.comment ? `: ${d.comment}` : ''}`;
  return { ...result, outcome: 'rejected', outcomeReason: reason, haltReason: reason };
}
