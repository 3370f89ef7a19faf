import { sql } from 'kysely';
import type { Db } from '../db/connect.js';
import type { RunRow, RunStepRow } from '../db/tables/runs.js';
import { ACTIVE_RUN_STATUSES, type RunOutcome, type RunStatus } from './status.js';
import type { RunProjection } from './projection.js';
import type { StepDetails } from './contract.js';

/** What the API (not the workflow) writes when it starts a run. */
export type NewRunRow = Omit<RunProjection, 'status' | 'error'>;

/** Inserts a pending run; false when a row with this id or idempotency key already exists. */
export async function insertPendingRun(db: Db, r: NewRunRow): Promise<boolean> {
  const res = await db
    .insertInto('runs')
    .values({
      id: r.id,
      workflow_id: r.workflowId,
      pipeline: r.pipeline,
      pipeline_version: r.version,
      status: 'pending',
      trigger: r.trigger,
      params: JSON.stringify(r.params),
      created_by: r.createdBy ?? null,
      idempotency_key: r.idempotencyKey ?? null,
      retry_of: r.retryOf ?? null,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return res !== undefined;
}

/** Runs still pending that were created before `before`, oldest first: candidates for reconcile. */
export async function listPendingRunsBefore(db: Db, before: Date, limit: number): Promise<RunRow[]> {
  return db
    .selectFrom('runs')
    .selectAll()
    .where('status', '=', 'pending')
    .where('created_at', '<', before)
    .orderBy('created_at')
    .limit(limit)
    .execute();
}

/** Removes a run whose workflow could not be started (nothing else refers to it yet). */
export async function deleteUnstartedRun(db: Db, id: string): Promise<void> {
  await db.deleteFrom('runs').where('id', '=', id).where('status', '=', 'pending').execute();
}

export async function findRunByIdempotencyKey(db: Db, key: string) {
  return db.selectFrom('runs').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

export interface ReusedStep {
  stepId: string;
  attempt: number;
  cacheKey: string | null;
  cachedFromRun: string;
  outputs: unknown;
  metrics: unknown;
  /** What a built-in kind found (an evaluate step's baseline, a registered version): later steps read it. */
  details: StepDetails | null;
}

/** A retry records the steps it takes over from the earlier run before its workflow starts. */
export async function insertReusedSteps(db: Db, runId: string, steps: ReusedStep[]): Promise<void> {
  if (steps.length === 0) return;
  const now = new Date();
  await db
    .insertInto('run_steps')
    .values(
      steps.map((s) => ({
        run_id: runId,
        step_id: s.stepId,
        status: 'cached' as const,
        attempt: s.attempt,
        cache_key: s.cacheKey,
        cached_from_run: s.cachedFromRun,
        outputs: JSON.stringify(s.outputs),
        metrics: JSON.stringify(s.metrics),
        details: s.details ? JSON.stringify(s.details) : null,
        started_at: now,
        finished_at: now,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** jsonb rows from json_agg come back with timestamps as strings. */
type StepJson = Omit<RunStepRow, 'started_at' | 'finished_at'> & {
  started_at: string | null;
  finished_at: string | null;
};

export type RunWithSteps = RunRow & { digest: string | null; steps: RunStepRow[] };

/** The run, its steps and its pipeline version's digest in one round trip (GET run is the hot path). */
export async function getRunWithSteps(db: Db, id: string): Promise<RunWithSteps | undefined> {
  const row = await db
    .selectFrom('runs as r')
    .leftJoin('pipeline_versions as v', (j) =>
      j.onRef('v.pipeline', '=', 'r.pipeline').onRef('v.version', '=', 'r.pipeline_version'),
    )
    .selectAll('r')
    .select('v.digest')
    .select(
      sql<StepJson[]>`coalesce((select json_agg(s) from run_steps s where s.run_id = r.id), '[]'::json)`.as('steps'),
    )
    .where('r.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const steps = row.steps.map((s) => ({
    ...s,
    started_at: s.started_at ? new Date(s.started_at) : null,
    finished_at: s.finished_at ? new Date(s.finished_at) : null,
  }));
  return { ...row, steps };
}

export interface RunFilter {
  pipeline?: string;
  status?: RunStatus;
  outcome?: RunOutcome;
  trigger?: string;
  since?: Date;
  until?: Date;
  /** Keyset cursor: the created_at (as the database's exact text) and id of the last row seen. */
  after?: { createdAt: string; id: string };
  limit: number;
}

/** Newest first. The cursor carries created_at as text so microseconds survive the round trip. */
export async function listRuns(db: Db, f: RunFilter) {
  let q = db
    .selectFrom('runs')
    .selectAll()
    .select(sql<string>`created_at::text`.as('cursor_at'));
  if (f.pipeline) q = q.where('pipeline', '=', f.pipeline);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.outcome) q = q.where('outcome', '=', f.outcome);
  if (f.trigger) q = q.where('trigger', '=', f.trigger);
  if (f.since) q = q.where('created_at', '>=', f.since);
  if (f.until) q = q.where('created_at', '<', f.until);
  if (f.after) {
    const { createdAt, id } = f.after;
    q = q.where(sql<boolean>`(created_at, id) < (${createdAt}::timestamptz, ${id})`);
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

export async function countActiveRuns(db: Db, pipeline: string): Promise<number> {
  const row = await db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('pipeline', '=', pipeline)
    .where('status', 'in', [...ACTIVE_RUN_STATUSES])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function runsByWorkflowIds(db: Db, workflowIds: string[]) {
  if (workflowIds.length === 0) return [];
  return db
    .selectFrom('runs')
    .select(['id', 'workflow_id', 'status'])
    .where('workflow_id', 'in', workflowIds)
    .execute();
}

/** For a run whose workflow is gone without recording an outcome (e.g. cancelled before it started). */
export async function markRunFinished(db: Db, id: string, status: RunStatus, error: string | null): Promise<void> {
  await db
    .updateTable('runs')
    .set({ status, error, finished_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', [...ACTIVE_RUN_STATUSES])
    .execute();
}
