import type { Db } from '../db/connect.js';
import { addCounts, type WindowCounts } from './bins.js';

export interface WindowKey {
  deployment: string;
  model: string;
  version: number;
  reference: string;
}

/** Writes one flush window's counts. */
export async function insertWindow(
  db: Db,
  key: WindowKey,
  start: Date,
  end: Date,
  counts: WindowCounts,
): Promise<void> {
  await db
    .insertInto('drift_windows')
    .values({
      ...key,
      window_start: start,
      window_end: end,
      rows: counts.rows,
      counts: JSON.stringify(counts),
    })
    .execute();
}

/**
 * The counts of a deployment version's windows that ended after `since`, summed, for the given
 * reference (windows counted in another reference's bins are left out). Null without any.
 */
export async function sumWindows(
  db: Db,
  deployment: string,
  version: number,
  reference: string,
  since: Date,
): Promise<WindowCounts | null> {
  const rows = await db
    .selectFrom('drift_windows')
    .select('counts')
    .where('deployment', '=', deployment)
    .where('version', '=', version)
    .where('reference', '=', reference)
    .where('window_end', '>', since)
    .orderBy('id')
    .execute();
  if (!rows.length) return null;
  const parse = (c: unknown) => (typeof c === 'string' ? JSON.parse(c) : c) as WindowCounts;
  const total = structuredClone(parse(rows[0]!.counts));
  for (const r of rows.slice(1)) addCounts(total, parse(r.counts));
  return total;
}

/** Deletes windows older than `before` (the monitor keeps what its longest window needs). */
export async function pruneWindows(db: Db, deployment: string, before: Date): Promise<void> {
  await db.deleteFrom('drift_windows').where('deployment', '=', deployment).where('window_end', '<', before).execute();
}
