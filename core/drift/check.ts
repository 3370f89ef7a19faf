/**
 * One monitor check of one deployment: sum the recent windows of the version serving most of the
 * traffic, compare them with its training data's bins, record the verdict, and start the
 * retraining pipeline when the data set drifted (one at a time, one per cool-down).
 */
import type { Db } from '../db/connect.js';
import { SluiceError } from '../errors.js';
import type { MonitoringConfig, RetrainConfig } from './config.js';
import { evaluateDrift, type DriftReport } from './evaluate.js';
import { loadReference } from './reference.js';
import { insertResults } from './results.js';
import { lastRetrain, recordRetrain, retrainGate } from './retrain.js';
import { sumWindows } from './windows.js';

export interface CheckInput {
  deployment: string;
  /** Deterministic per monitor check: keys the results and the retrain run. */
  checkId: string;
  /** The check's time (ISO), from the workflow's clock. */
  at: string;
  monitoring: MonitoringConfig;
  retrain?: RetrainConfig;
}

export type RetrainOutcome =
  { started: true; runId: string; created: boolean } | { started: false; reason: string; runId?: string };

export interface CheckOutput {
  checkId: string;
  /** null: no verdict (the reason says why). */
  datasetDrift: boolean | null;
  reason?: string;
  model?: string;
  version?: number;
  rows: number;
  drifted?: string[];
  share?: number;
  retrain?: RetrainOutcome;
}

export interface CheckDeps {
  db: Db;
  /** Starts the retraining run with trigger `drift`; idempotent on `idempotencyKey`. */
  startRetrain(req: {
    pipeline: string;
    params: Record<string, unknown>;
    idempotencyKey: string;
    deployment: string;
  }): Promise<{ runId: string; created: boolean }>;
}

/** The version serving the largest share of the deployment's traffic (the newest on a tie). */
export async function servingVersion(db: Db, deployment: string): Promise<{ model: string; version: number } | null> {
  const row = await db
    .selectFrom('deployment_routes')
    .select(['model', 'version'])
    .where('deployment', '=', deployment)
    .where('weight', '>', 0)
    .orderBy('weight', 'desc')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

export async function checkDrift(deps: CheckDeps, i: CheckInput): Promise<CheckOutput> {
  const { db } = deps;
  const at = new Date(i.at);
  const serving = await servingVersion(db, i.deployment);
  if (!serving) return { checkId: i.checkId, datasetDrift: null, reason: 'nothing is serving', rows: 0 };
  const base = { checkId: i.checkId, ...serving };
  const ref = await loadReference(db, serving.model, serving.version);
  if (!ref) {
    return {
      ...base,
      datasetDrift: null,
      rows: 0,
      reason: `${serving.model} version ${serving.version} has no profiled training dataset in its lineage`,
    };
  }
  const since = new Date(at.getTime() - i.monitoring.windowSeconds * 1000);
  const counts = await sumWindows(db, i.deployment, serving.version, ref.key, since);
  const rows = counts?.rows ?? 0;
  if (!counts || rows < i.monitoring.minWindow) {
    return {
      ...base,
      datasetDrift: null,
      rows,
      reason: `${rows} row(s) in the window, fewer than ${i.monitoring.minWindow}`,
    };
  }
  const report = evaluateDrift(ref, counts, i.monitoring);
  await insertResults(db, { ...base, deployment: i.deployment, at }, report);
  const out: CheckOutput = {
    ...base,
    datasetDrift: report.datasetDrift,
    rows,
    drifted: report.features.filter((f) => f.drifted).map((f) => f.feature),
    share: report.share,
  };
  if (report.datasetDrift && i.retrain) out.retrain = await maybeRetrain(deps, i, at, report);
  return out;
}

async function maybeRetrain(deps: CheckDeps, i: CheckInput, at: Date, report: DriftReport): Promise<RetrainOutcome> {
  const retrain = i.retrain!;
  // A retried activity whose first attempt recorded the run returns it rather than being gated by it.
  const last = await lastRetrain(deps.db, i.deployment);
  if (last?.check_id === i.checkId) return { started: true, runId: last.run_id, created: false };
  const gate = await retrainGate(deps.db, i.deployment, at, retrain.cooldownHours);
  if (!gate.allowed) return { started: false, reason: gate.reason, runId: gate.runId };
  let started: { runId: string; created: boolean };
  try {
    started = await deps.startRetrain({
      pipeline: retrain.pipeline,
      params: retrain.params,
      idempotencyKey: `drift:${i.deployment}:${i.checkId}`,
      deployment: i.deployment,
    });
  } catch (err) {
    // A pipeline that refuses the run (unknown, bad params) is reported, not retried: trying again
    // cannot fix a configuration. Anything else (Temporal or the database down) is retried.
    if (err instanceof SluiceError && err.status < 500) {
      return { started: false, reason: `the retraining pipeline refused the run: ${err.message}` };
    }
    throw err;
  }
  const { runId, created } = started;
  await recordRetrain(deps.db, {
    checkId: i.checkId,
    deployment: i.deployment,
    pipeline: retrain.pipeline,
    runId,
    at,
    report: {
      checkId: i.checkId,
      deployment: i.deployment,
      at: i.at,
      ...report,
      features: report.features.map(jsonSafe),
    },
  });
  return { started: true, runId, created };
}

const jsonSafe = <T extends { statistic: number }>(f: T): T =>
  Number.isFinite(f.statistic) ? f : { ...f, statistic: null as unknown as number };
