// The run and step status vocabulary, once: the tables, the workflow, the API and the CLI
// all take their lists and types from here. Pure data, so the workflow bundle may import it.

export const RUN_STATUSES = [
  'pending',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'terminated',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const STEP_STATUSES = [
  'pending',
  'running',
  'awaiting-approval',
  'succeeded',
  'failed',
  'skipped',
  'cached',
  'cancelled',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** A run still going: it can be cancelled, and its view may change. */
export const ACTIVE_RUN_STATUSES = ['pending', 'running', 'waiting'] as const satisfies readonly RunStatus[];
/** A run that is over: its projection never moves out of these. */
export const TERMINAL_RUN_STATUSES = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'terminated',
] as const satisfies readonly RunStatus[];
/** A run that ended without succeeding: it can be retried from its failed step. */
export const RETRYABLE_RUN_STATUSES = [
  'failed',
  'cancelled',
  'timed_out',
  'terminated',
] as const satisfies readonly RunStatus[];

/** The statuses the workflow itself reports (Temporal closes the others: timed out, terminated). */
export type LiveRunStatus = Extract<RunStatus, 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled'>;

/**
 * What a run that reached its promotion path decided, beside its status: a failed gate or a
 * rejected approval is a normal end (`succeeded`), not an error. Absent when no step decided.
 */
export const RUN_OUTCOMES = ['promoted', 'not-promoted', 'rejected'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** Steps whose dependants may start: done, served from cache, or skipped (which propagates). */
export const SETTLED_STEP_STATUSES = ['succeeded', 'cached', 'skipped'] as const satisfies readonly StepStatus[];

const among =
  <T extends string>(list: readonly T[]) =>
  (s: string): s is T =>
    (list as readonly string[]).includes(s);
export const isActiveRun = among(ACTIVE_RUN_STATUSES);
export const isTerminalRun = among(TERMINAL_RUN_STATUSES);
export const isRetryableRun = among(RETRYABLE_RUN_STATUSES);
export const isSettledStep = among(SETTLED_STEP_STATUSES);
