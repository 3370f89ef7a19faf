import type { Db } from '../db/connect.js';

export interface CachedStep {
  runId: string;
  stepId: string;
  outputs: unknown;
  metrics: Record<string, number>;
}

export async function lookupStepCache(db: Db, cacheKey: string): Promise<CachedStep | undefined> {
  const row = await db.selectFrom('step_cache').selectAll().where('cache_key', '=', cacheKey).executeTakeFirst();
  return row
    ? { runId: row.run_id, stepId: row.step_id, outputs: row.outputs, metrics: row.metrics as Record<string, number> }
    : undefined;
}

/** The first successful run with a key stays the cache entry; later identical runs are hits anyway. */
export async function storeStepCache(db: Db, cacheKey: string, entry: CachedStep): Promise<void> {
  await db
    .insertInto('step_cache')
    .values({
      cache_key: cacheKey,
      run_id: entry.runId,
      step_id: entry.stepId,
      outputs: JSON.stringify(entry.outputs),
      metrics: JSON.stringify(entry.metrics),
    })
    .onConflict((oc) => oc.column('cache_key').doNothing())
    .execute();
}
