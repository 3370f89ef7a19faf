import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRef } from '../core/artifacts/store.js';
import type { Db } from '../core/db/connect.js';
import type { StepResult } from '../core/runs/contract.js';

/**
 * The result of this run's step as recorded once its outputs were stored (its run_steps row):
 * a later attempt returns it instead of running the step again. Temporal may not have accepted
 * the first answer (the server was away past the heartbeat timeout), but the step did finish.
 */
export async function recordedResult(
  db: Db,
  runId: string,
  stepId: string,
  attempt: number,
): Promise<StepResult | undefined> {
  const row = await db
    .selectFrom('run_steps')
    .selectAll()
    .where('run_id', '=', runId)
    .where('step_id', '=', stepId)
    .where('status', 'in', ['succeeded', 'cached'])
    .executeTakeFirst();
  if (!row) return undefined;
  const took = row.started_at && row.finished_at ? row.finished_at.getTime() - row.started_at.getTime() : 0;
  return {
    status: row.status === 'cached' ? 'cached' : 'succeeded',
    outputs: row.outputs as Record<string, ArtifactRef>,
    metrics: row.metrics as Record<string, number>,
    attempt,
    imageDigest: row.image_digest ?? undefined,
    cacheKey: row.cache_key ?? undefined,
    cachedFromRun: row.cached_from_run ?? undefined,
    reattached: true,
    durationMs: Math.max(0, took),
  };
}

/** What the work directory remembers of a step that ran to a good end but is not stored yet. */
export interface FinishedRun {
  attempt: number;
  imageDigest?: string;
  cacheKey: string;
  runMs: number;
}

const MARKER = 'finished.json';

/**
 * Written once the step exited 0 with every declared output, before anything is uploaded: a
 * later attempt on this worker host finds it and stores the outputs left on disk instead of
 * running the step again. The work directory (and the marker) goes once the outputs are recorded.
 */
export async function markFinished(workDir: string, run: FinishedRun): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const tmp = join(workDir, `${MARKER}.tmp`);
  await writeFile(tmp, JSON.stringify(run));
  await rename(tmp, join(workDir, MARKER));
}

export async function finishedRun(workDir: string): Promise<FinishedRun | undefined> {
  try {
    return JSON.parse(await readFile(join(workDir, MARKER), 'utf8')) as FinishedRun;
  } catch {
    return undefined;
  }
}
