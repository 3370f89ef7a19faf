import type { Db } from '../db/connect.js';
import type { DriftRetrainRow } from '../db/tables/drift.js';
import { ACTIVE_RUN_STATUSES } from '../runs/status.js';

export type RetrainGate = { allowed: true } | { allowed: false; reason: string; runId: string };

/**
 * At most one drift retrain at a time and one per cool-down: looks at the deployment's last
 * drift-triggered run (its status in the runs projection) and when it started.
 */
export async function retrainGate(db: Db, deployment: string, at: Date, cooldownHours: number): Promise<RetrainGate> {
  const last = await lastRetrain(db, deployment);
  if (!last) return { allowed: true };
  const run = await db.selectFrom('runs').select('status').where('id', '=', last.run_id).executeTakeFirst();
  if (run && (ACTIVE_RUN_STATUSES as readonly string[]).includes(run.status)) {
    return { allowed: false, reason: `retrain ${last.run_id} is still ${run.status}`, runId: last.run_id };
  }
  const until = new Date(last.at.getTime() + cooldownHours * 3_600_000);
  if (at < until) {
    return {
      allowed: false,
      reason: `cool-down after retrain ${last.run_id} until ${until.toISOString()}`,
      runId: last.run_id,
    };
  }
  return { allowed: true };
}

export async function lastRetrain(db: Db, deployment: string): Promise<DriftRetrainRow | undefined> {
  return db
    .selectFrom('drift_retrains')
    .selectAll()
    .where('deployment', '=', deployment)
    .orderBy('at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function recordRetrain(
  db: Db,
  r: { checkId: string; deployment: string; pipeline: string; runId: string; at: Date; report: unknown },
): Promise<void> {
  await db
    .insertInto('drift_retrains')
    .values({
      check_id: r.checkId,
      deployment: r.deployment,
      pipeline: r.pipeline,
      run_id: r.runId,
      at: r.at,
      report: JSON.stringify(r.report),
    })
    .onConflict((oc) => oc.column('check_id').doNothing())
    .execute();
}
