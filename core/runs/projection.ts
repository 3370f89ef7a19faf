import { sql } from 'kysely';
import type { Db } from '../db/connect.js';
import { TERMINAL_RUN_STATUSES, isTerminalRun, type RunOutcome, type RunStatus, type StepStatus } from './status.js';

export interface RunProjection {
  id: string;
  workflowId: string;
  pipeline: string;
  version: number;
  params: Record<string, unknown>;
  trigger: string;
  status: RunStatus;
  createdBy?: string | null;
  idempotencyKey?: string | null;
  retryOf?: string | null;
  error?: string | null;
  outcome?: RunOutcome | null;
  outcomeReason?: string | null;
}

/**
 * Inserts the run, or moves it to `status`. Idempotent: activities retry, and a run started by
 * a schedule has no row until its workflow records one. A terminal status is never overwritten
 * by a late 'running'.
 */
export async function upsertRun(db: Db, run: RunProjection): Promise<void> {
  const finished = isTerminalRun(run.status);
  const now = new Date();
  await db
    .insertInto('runs')
    .values({
      id: run.id,
      workflow_id: run.workflowId,
      pipeline: run.pipeline,
      pipeline_version: run.version,
      params: JSON.stringify(run.params),
      trigger: run.trigger,
      status: run.status,
      created_by: run.createdBy ?? null,
      idempotency_key: run.idempotencyKey ?? null,
      retry_of: run.retryOf ?? null,
      error: run.error ?? null,
      outcome: run.outcome ?? null,
      outcome_reason: run.outcomeReason ?? null,
      started_at: run.status === 'pending' ? null : now,
      finished_at: finished ? now : null,
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        status: sql<RunStatus>`CASE WHEN runs.status = ANY(${sql.val([...TERMINAL_RUN_STATUSES])}) THEN runs.status ELSE ${eb.ref('excluded.status')} END`,
        error: eb.fn.coalesce(eb.ref('excluded.error'), eb.ref('runs.error')),
        outcome: eb.fn.coalesce(eb.ref('excluded.outcome'), eb.ref('runs.outcome')),
        outcome_reason: eb.fn.coalesce(eb.ref('excluded.outcome_reason'), eb.ref('runs.outcome_reason')),
        started_at: eb.fn.coalesce(eb.ref('runs.started_at'), eb.ref('excluded.started_at')),
        finished_at: eb.fn.coalesce(eb.ref('runs.finished_at'), eb.ref('excluded.finished_at')),
      })),
    )
    .execute();
}

export interface StepProjection {
  runId: string;
  stepId: string;
  status: StepStatus;
  attempt: number;
  executor?: string;
  imageDigest?: string;
  cacheKey?: string;
  cachedFromRun?: string;
  outputs?: unknown;
  metrics?: Record<string, number>;
  error?: string | null;
  details?: Record<string, unknown> | null;
  skipReason?: string | null;
  /** When the step started and ended as its runner saw it (ISO); the time of this write otherwise. */
  startedAt?: string;
  finishedAt?: string;
}

export async function upsertStep(db: Db, s: StepProjection): Promise<void> {
  const now = new Date();
  const done = s.status !== 'running' && s.status !== 'pending';
  await db
    .insertInto('run_steps')
    .values({
      run_id: s.runId,
      step_id: s.stepId,
      status: s.status,
      attempt: s.attempt,
      executor: s.executor ?? null,
      image_digest: s.imageDigest ?? null,
      cache_key: s.cacheKey ?? null,
      cached_from_run: s.cachedFromRun ?? null,
      outputs: JSON.stringify(s.outputs ?? {}),
      metrics: JSON.stringify(s.metrics ?? {}),
      error: s.error ?? null,
      details: s.details ? JSON.stringify(s.details) : null,
      skip_reason: s.skipReason ?? null,
      started_at: s.startedAt ? new Date(s.startedAt) : now,
      finished_at: done ? (s.finishedAt ? new Date(s.finishedAt) : now) : null,
    })
    .onConflict((oc) =>
      oc.columns(['run_id', 'step_id']).doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        attempt: eb.ref('excluded.attempt'),
        executor: eb.fn.coalesce(eb.ref('excluded.executor'), eb.ref('run_steps.executor')),
        image_digest: eb.fn.coalesce(eb.ref('excluded.image_digest'), eb.ref('run_steps.image_digest')),
        cache_key: eb.fn.coalesce(eb.ref('excluded.cache_key'), eb.ref('run_steps.cache_key')),
        cached_from_run: eb.ref('excluded.cached_from_run'),
        outputs: eb.ref('excluded.outputs'),
        metrics: eb.ref('excluded.metrics'),
        error: eb.ref('excluded.error'),
        details: eb.fn.coalesce(eb.ref('excluded.details'), eb.ref('run_steps.details')),
        skip_reason: eb.ref('excluded.skip_reason'),
        started_at: s.startedAt ? eb.ref('excluded.started_at') : eb.ref('run_steps.started_at'),
        finished_at: eb.ref('excluded.finished_at'),
      })),
    )
    .execute();
}

export async function getRun(db: Db, id: string) {
  return db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getRunSteps(db: Db, runId: string) {
  return db.selectFrom('run_steps').selectAll().where('run_id', '=', runId).execute();
}

/** Counts a failed attempt of the step itself; returns the new count. */
export async function countStepFailure(db: Db, runId: string, stepId: string): Promise<number> {
  const row = await db
    .updateTable('run_steps')
    .set((eb) => ({ failures: eb('failures', '+', 1) }))
    .where('run_id', '=', runId)
    .where('step_id', '=', stepId)
    .returning('failures')
    .executeTakeFirst();
  return row?.failures ?? 1;
}
