import type { Db } from '../db/connect.js';
import { listRuns, type RunFilter } from './queries.js';
import { runSummary } from './view.js';
import type { RunSummary } from './views.js';

/** A page of runs, newest first; `next` is where the following page starts when this one is full. */
export async function listRunSummaries(
  db: Db,
  f: RunFilter,
): Promise<{ items: RunSummary[]; next?: RunFilter['after'] }> {
  const rows = await listRuns(db, f);
  const last = rows.at(-1);
  const items = rows.map(runSummary);
  return last && rows.length === f.limit ? { items, next: { createdAt: last.cursor_at, id: last.id } } : { items };
}
