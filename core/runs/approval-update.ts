// The approval update: its name, arguments, answer and refusal types, shared by the workflow
// (which handles it) and the API (which sends it). Types and constants only, so the workflow
// bundle may import it and the API does not load workflow code.

export const APPROVAL_UPDATE = 'approval';

export const APPROVAL_DECISIONS = ['approved', 'rejected'] as const;
export type ApprovalDecisionKind = (typeof APPROVAL_DECISIONS)[number];

/** Who decided: a key's name (as runs record `createdBy`) and id, or `timeout`. */
export interface ApprovalRequest {
  step: string;
  decision: ApprovalDecisionKind;
  by: string;
  byKey?: string;
  comment?: string;
}

/** What the step's details record of the decision. */
export interface ApprovalRecord {
  decision: ApprovalDecisionKind;
  by: string;
  byKey?: string;
  comment: string | null;
  at: string;
}

/** The update's answer: the recorded decision; `repeated` when it had already been made. */
export interface ApprovalResult extends ApprovalRecord {
  step: string;
  repeated: boolean;
}

/** ApplicationFailure types of the update's validator; the API maps them to 404, 409 and 403. */
export const ApprovalRefusal = {
  UnknownStep: 'ApprovalUnknownStep',
  NotAwaiting: 'ApprovalNotAwaiting',
  SameApprover: 'ApprovalSameApprover',
} as const;

/** The search attribute value of a run that waits for a person (SluiceStatus). */
export const WAITING_STATUS = 'waiting';

/** The CLI command that decides a waiting step, shown wherever a run waits. */
export const approveCommand = (runId: string, step: string): string => `sluice approve ${runId} ${step} -m "…"`;
