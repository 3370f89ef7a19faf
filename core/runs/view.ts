import type { ArtifactRef } from '../artifacts/store.js';
import { baselineOwner } from '../pipeline/kinds/evaluate.js';
import { getRunWithSteps, type RunWithSteps } from './queries.js';
import type { RunRow, RunStepRow } from '../db/tables/runs.js';
import { NotFoundError } from '../errors.js';
import type { RunProgress, StepProgress } from './contract.js';
import { isActiveRun, type RunStatus, type StepStatus } from './status.js';
import type { RunSummary, RunView, StepView } from './views.js';

export type { RunSummary, RunView, StepView } from './views.js';
import type { RunContext } from './context.js';

/** Bounds GET latency when no worker answers queries (the view falls back to the database). */
const QUERY_DEADLINE_MS = 1500;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const span = (a: string | null | undefined, b: string | null | undefined): number | null =>
  a && b ? Date.parse(b) - Date.parse(a) : null;

export function runSummary(r: RunRow): RunSummary {
  return {
    id: r.id,
    pipeline: r.pipeline,
    version: r.pipeline_version,
    status: r.status,
    trigger: r.trigger,
    params: r.params as Record<string, unknown>,
    workflowId: r.workflow_id,
    createdBy: r.created_by,
    idempotencyKey: r.idempotency_key,
    retryOf: r.retry_of,
    error: r.error,
    outcome: r.outcome,
    outcomeReason: r.outcome_reason,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

function stepFromRow(s: RunStepRow): StepView {
  const startedAt = iso(s.started_at);
  const finishedAt = iso(s.finished_at);
  return {
    id: s.step_id,
    status: s.status,
    attempt: s.attempt,
    startedAt,
    finishedAt,
    durationMs: span(startedAt, finishedAt),
    cacheHit: s.status === 'cached',
    cachedFromRun: s.cached_from_run,
    outputs: s.outputs as Record<string, ArtifactRef>,
    metrics: s.metrics as Record<string, number>,
    error: s.error,
    details: (s.details as Record<string, unknown> | null) ?? null,
    skipReason: s.skip_reason,
  };
}

/** `recordedAttempt`: the projection's attempt, which a running step's activity writes as it starts. */
function stepFromLive(s: StepProgress, recordedAttempt: number | undefined): StepView {
  return {
    id: s.id,
    status: s.state,
    attempt: s.state === 'running' ? (recordedAttempt ?? s.attempt) : s.attempt,
    startedAt: s.startedAt ?? null,
    finishedAt: s.finishedAt ?? null,
    durationMs: span(s.startedAt, s.finishedAt),
    cacheHit: s.cacheHit,
    cachedFromRun: s.cachedFromRun ?? null,
    outputs: s.outputs,
    metrics: s.metrics,
    error: s.error ?? null,
    details: s.details ?? null,
    skipReason: s.skipReason ?? null,
  };
}

/**
 * Steps the workflow never recorded: still to come while the run is active; afterwards they were
 * skipped (a successful run) or never started because the run failed or was cancelled.
 */
function unrecorded(id: string, run: RunStatus): StepView {
  const status: StepStatus = isActiveRun(run) ? 'pending' : run === 'succeeded' ? 'skipped' : 'cancelled';
  return {
    id,
    status,
    attempt: 0,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    cacheHit: false,
    cachedFromRun: null,
    outputs: {},
    metrics: {},
    error: null,
    details: null,
    skipReason: null,
  };
}

async function stepsFromDb(ctx: RunContext, row: RunWithSteps): Promise<StepView[]> {
  const order = (await ctx.specs.stepIds(row.pipeline, row.digest)) ?? [];
  const byId = new Map(row.steps.map((s) => [s.step_id, s]));
  const steps = order.map((id) => (byId.has(id) ? stepFromRow(byId.get(id)!) : unrecorded(id, row.status)));
  // A baseline evaluation's row is part of its evaluate step (whose details report it), not a step.
  for (const s of row.steps)
    if (!order.includes(s.step_id) && baselineOwner(s.step_id) === undefined) steps.push(stepFromRow(s));
  return steps;
}

async function queryLive(ctx: RunContext, workflowId: string): Promise<RunProgress | undefined> {
  try {
    const handle = ctx.temporal.workflow.getHandle(workflowId);
    return await ctx.temporal.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query<RunProgress>('status'));
  } catch {
    return undefined; // not started yet, no worker, or gone: the database projection will do
  }
}

/**
 * A run with per-step status. Finished runs come from the database alone (one query); an
 * active run asks its workflow, which knows more than the projection, when `live` is set.
 */
export async function getRunView(ctx: RunContext, id: string, opts: { live?: boolean } = {}): Promise<RunView> {
  const cached = ctx.finished.get(id);
  if (cached) return cached;
  const row = await getRunWithSteps(ctx.db, id);
  if (!row) throw new NotFoundError('run', id);
  const summary = runSummary(row);
  if (opts.live !== false && isActiveRun(row.status)) {
    const live = await queryLive(ctx, row.workflow_id);
    if (live) {
      const status = live.state === 'running' ? 'running' : live.state;
      const attempts = new Map(row.steps.map((st) => [st.step_id, st.attempt]));
      return {
        ...summary,
        status,
        error: live.error ?? summary.error,
        outcome: live.outcome ?? summary.outcome,
        outcomeReason: live.outcomeReason ?? summary.outcomeReason,
        steps: live.steps.map((st) => stepFromLive(st, attempts.get(st.id))),
      };
    }
  }
  const view = { ...summary, steps: await stepsFromDb(ctx, row) };
  if (!isActiveRun(row.status)) ctx.finished.set(id, view);
  return view;
}
