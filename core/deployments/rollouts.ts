import type { Db } from '../db/connect.js';
import type { RolloutKind, RolloutRow, RolloutStatus } from '../db/tables/deployments.js';

export interface TimelineEntry {
  at: string;
  step: string;
  detail?: string;
}

/** A rollout as the workflow records it and the API shows it. */
export interface Rollout {
  id: string;
  deployment: string;
  kind: RolloutKind;
  model: string;
  fromVersion: number | null;
  toVersion: number;
  status: RolloutStatus;
  reason: string | null;
  requestedBy: string | null;
  timeline: TimelineEntry[];
  startedAt: string;
  finishedAt: string | null;
}

export function toRollout(r: RolloutRow): Rollout {
  return {
    id: r.id,
    deployment: r.deployment,
    kind: r.kind,
    model: r.model,
    fromVersion: r.from_version,
    toVersion: r.to_version,
    status: r.status,
    reason: r.reason,
    requestedBy: r.requested_by,
    timeline: r.timeline as TimelineEntry[],
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

/** Writes the rollout's row as it stands now; a retried write rewrites the same row (keyed by id). */
export async function recordRollout(db: Db, r: Omit<Rollout, 'finishedAt'> & { finished: boolean }): Promise<void> {
  const values = {
    status: r.status,
    reason: r.reason,
    timeline: JSON.stringify(r.timeline),
    finished_at: r.finished ? new Date() : null,
  };
  await db
    .insertInto('deployment_rollouts')
    .values({
      id: r.id,
      deployment: r.deployment,
      kind: r.kind,
      model: r.model,
      from_version: r.fromVersion,
      to_version: r.toVersion,
      requested_by: r.requestedBy,
      started_at: r.startedAt,
      ...values,
    })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

export async function listRollouts(db: Db, deployment: string, limit = 50): Promise<Rollout[]> {
  const rows = await db
    .selectFrom('deployment_rollouts')
    .selectAll()
    .where('deployment', '=', deployment)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toRollout);
}

export async function getRollout(db: Db, id: string): Promise<Rollout | undefined> {
  const row = await db.selectFrom('deployment_rollouts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRollout(row) : undefined;
}
