import type { Db } from '../db/connect.js';
import type { DriftResultRow } from '../db/tables/drift.js';
import type { DriftReport } from './evaluate.js';

/** The dataset-level row's feature name and method. */
export const DATASET_ROW = '';
export const SHARE_METHOD = 'share';

export interface CheckIdentity {
  checkId: string;
  deployment: string;
  model: string;
  version: number;
  at: Date;
}

/** Non-finite statistics (a chi-square with a category the reference never saw) are stored as null. */
const finite = (x: number | null) => (x === null || Number.isFinite(x) ? x : null);

/** Writes one check's rows; a retried check writes nothing twice (check id and feature are unique). */
export async function insertResults(db: Db, c: CheckIdentity, report: DriftReport): Promise<void> {
  const base = { check_id: c.checkId, deployment: c.deployment, model: c.model, version: c.version, at: c.at };
  const rows = [
    ...report.features.map((f) => ({
      ...base,
      reference: report.reference,
      feature: f.feature,
      method: f.method,
      statistic: finite(f.statistic),
      p_value: finite(f.pValue),
      threshold: f.threshold,
      drifted: f.drifted,
      n: f.n,
      details: JSON.stringify({ missing: f.missing, invalid: f.invalid, infinite: !Number.isFinite(f.statistic) }),
    })),
    {
      ...base,
      reference: report.reference,
      feature: DATASET_ROW,
      method: SHARE_METHOD,
      statistic: report.share,
      p_value: null,
      threshold: report.driftShare,
      drifted: report.datasetDrift,
      n: report.rows,
      details: JSON.stringify({ drifted: report.drifted, features: report.features.length }),
    },
  ];
  await db
    .insertInto('drift_results')
    .values(rows)
    .onConflict((oc) => oc.columns(['check_id', 'feature']).doNothing())
    .execute();
}

/** The rows of a deployment's most recent check (dataset row first), or [] before any. */
export async function latestCheck(db: Db, deployment: string): Promise<DriftResultRow[]> {
  const last = await db
    .selectFrom('drift_results')
    .select('check_id')
    .where('deployment', '=', deployment)
    .where('feature', '=', DATASET_ROW)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!last) return [];
  return db.selectFrom('drift_results').selectAll().where('check_id', '=', last.check_id).orderBy('feature').execute();
}

export interface SeriesQuery {
  feature?: string;
  since?: Date;
  /** Rows older than this row id (paging backwards; ids grow with time). */
  beforeId?: number;
  limit: number;
}

/** A deployment's results, newest first, bounded. */
export async function resultSeries(db: Db, deployment: string, q: SeriesQuery): Promise<DriftResultRow[]> {
  let sel = db.selectFrom('drift_results').selectAll().where('deployment', '=', deployment);
  if (q.feature !== undefined) sel = sel.where('feature', '=', q.feature);
  if (q.since) sel = sel.where('at', '>=', q.since);
  if (q.beforeId !== undefined) sel = sel.where('id', '<', String(q.beforeId));
  return sel.orderBy('id', 'desc').limit(q.limit).execute();
}

/** The deployment's drift retrains, newest first. */
export async function recentRetrains(db: Db, deployment: string, limit: number) {
  return db
    .selectFrom('drift_retrains')
    .select(['check_id', 'pipeline', 'run_id', 'at'])
    .where('deployment', '=', deployment)
    .orderBy('at', 'desc')
    .limit(limit)
    .execute();
}

/** Whether anything is known of the deployment: a route, a window or a result. */
export async function knownDeployment(db: Db, deployment: string): Promise<boolean> {
  const hit = await db
    .selectFrom('deployment_routes')
    .select('deployment')
    .where('deployment', '=', deployment)
    .union(db.selectFrom('drift_results').select('deployment').where('deployment', '=', deployment))
    .union(db.selectFrom('drift_windows').select('deployment').where('deployment', '=', deployment))
    .limit(1)
    .executeTakeFirst();
  return hit !== undefined;
}

/** The newest result per deployment and feature (what the Prometheus gauges show). */
export async function latestPerFeature(db: Db): Promise<DriftResultRow[]> {
  return db
    .selectFrom('drift_results')
    .selectAll()
    .distinctOn(['deployment', 'feature'])
    .orderBy('deployment')
    .orderBy('feature')
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}
