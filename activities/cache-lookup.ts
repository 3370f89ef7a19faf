import type { ArtifactRef } from '../core/artifacts/store.js';
import { lookupStepCache } from '../core/runs/step-cache.js';
import type { StepResult } from '../core/runs/contract.js';
import type { ActivityDeps } from './deps.js';

/** The result an earlier run stored under this cache key, if its artifacts are all still there. */
export async function cachedResult(deps: ActivityDeps, key: string, attempt: number): Promise<StepResult | undefined> {
  const hit = await lookupStepCache(deps.db, key);
  if (!hit) return undefined;
  const outputs = hit.outputs as Record<string, ArtifactRef>;
  // An entry whose artifacts were deleted from storage is a miss, not a broken run.
  for (const ref of Object.values(outputs)) if (!(await deps.artifacts.exists(ref.uri))) return undefined;
  return {
    status: 'cached',
    outputs,
    metrics: hit.metrics,
    attempt,
    cacheKey: key,
    cachedFromRun: hit.runId,
    durationMs: 0,
  };
}
