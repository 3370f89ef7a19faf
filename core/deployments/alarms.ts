import type { Db } from '../db/connect.js';
import { LATENCY_BOUNDS_MS, type VersionWindowStats } from '../gateway/observer.js';
import type { DeploymentSpec } from './spec.js';

/** The p95 of a summed histogram, as its bucket's upper bound; above every bound: the last bound + 1. */
export function p95FromCounts(counts: readonly number[]): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(total * 0.95);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return LATENCY_BOUNDS_MS[i] ?? LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]! + 1;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]! + 1;
}

/** Sums the gateway's flushed windows of one version that ended after `since`, from every API process. */
export async function versionStatsSince(
  db: Db,
  deployment: string,
  version: number,
  since: Date,
): Promise<VersionWindowStats> {
  const rows = await db
    .selectFrom('gateway_stats')
    .select(['requests', 'errors', 'latency_counts'])
    .where('deployment', '=', deployment)
    .where('version', '=', version)
    .where('window_end', '>', since)
    .execute();
  const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  let requests = 0;
  let errors = 0;
  for (const r of rows) {
    requests += r.requests;
    errors += r.errors;
    (r.latency_counts as number[]).forEach((c, i) => {
      if (i < counts.length) counts[i]! += Number(c) || 0;
    });
  }
  return { requests, errors, p95Ms: p95FromCounts(counts) };
}

export type AlarmVerdict = { ok: true; detail: string } | { ok: false; reason: string };

/** Judges a bake's stats against the spec's alarms; below minRequests nothing is judged. */
export function judgeAlarms(stats: VersionWindowStats, alarms: DeploymentSpec['alarms']): AlarmVerdict {
  const seen = `${stats.requests} request(s), ${stats.errors} error(s), p95 ${stats.p95Ms ?? '-'} ms`;
  if (stats.requests < alarms.minRequests)
    return { ok: true, detail: `${seen}: below minRequests ${alarms.minRequests}, not judged` };
  const rate = stats.requests > 0 ? stats.errors / stats.requests : 0;
  if (alarms.maxErrorRate !== undefined && rate > alarms.maxErrorRate)
    return {
      ok: false,
      reason: `alarm: error rate ${rate.toFixed(3)} > maxErrorRate ${alarms.maxErrorRate} (${seen})`,
    };
  if (alarms.maxP95Ms !== undefined && stats.p95Ms !== null && stats.p95Ms > alarms.maxP95Ms)
    return { ok: false, reason: `alarm: p95 ${stats.p95Ms} ms > maxP95Ms ${alarms.maxP95Ms} (${seen})` };
  return { ok: true, detail: `${seen}: within alarms` };
}
