import { ApplicationFailure, type Context } from '@temporalio/activity';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { recordArtifact } from '../core/artifacts/records.js';
import type { ArtifactRef } from '../core/artifacts/store.js';
import { FailureType } from '../core/errors.js';
import { upsertStep, type StepProjection } from '../core/runs/projection.js';
import { storeStepCache } from '../core/runs/step-cache.js';
import type { ActivityDeps } from './deps.js';
import { keepBeating, withBackoff } from './patience.js';

export async function missingOutputs(outDir: string, names: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) if (!(await stat(join(outDir, name)).catch(() => undefined))) missing.push(name);
  return missing;
}

/** Uploads each declared output from `${workDir}/outputs` (check missingOutputs first), retrying a failing store. */
export async function collectOutputs(
  deps: ActivityDeps,
  ctx: Context,
  outDir: string,
  names: string[],
): Promise<Record<string, ArtifactRef>> {
  const outputs: Record<string, ArtifactRef> = {};
  for (const name of names) {
    const put = () => deps.artifacts.putPath(join(outDir, name));
    outputs[name] = await withBackoff(ctx, `upload of output ${name}`, put, deps.storeRetry);
  }
  return outputs;
}

/** metrics.json must be a flat {"name": number}; anything else is reported, not guessed at. */
export async function readMetrics(outDir: string): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await readFile(join(outDir, 'metrics.json'), 'utf8');
  } catch {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `metrics.json is not valid JSON: ${(err as Error).message}`,
      FailureType.StepFailed,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw ApplicationFailure.nonRetryable(
      'metrics.json must be a JSON object of {"name": number}',
      FailureType.StepFailed,
    );
  }
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw ApplicationFailure.nonRetryable(
        `metrics.json: "${k}" must be a finite number, got ${JSON.stringify(v)}`,
        FailureType.StepFailed,
      );
    }
    metrics[k] = v;
  }
  return metrics;
}

export interface StoredOutputs {
  outputs: Record<string, ArtifactRef>;
  metrics: Record<string, number>;
}

/**
 * Uploads a successful step's outputs, reads its metrics, and records them: artifacts, the cache
 * entry and the step's row, retrying a store or database that is away (heartbeating meanwhile).
 * Only then do the kept container (`release`) and the work directory go: until the row is written,
 * a later attempt must find the outputs on disk.
 */
export async function storeOutputs(
  deps: ActivityDeps,
  ctx: Context,
  row: Omit<StepProjection, 'status'> & { cacheKey: string },
  workDir: string,
  names: string[],
  release: () => Promise<void>,
): Promise<StoredOutputs> {
  const stop = keepBeating(ctx, 'storing outputs');
  try {
    const outDir = join(workDir, 'outputs');
    const metrics = await readMetrics(outDir);
    const outputs = await collectOutputs(deps, ctx, outDir, names);
    const { runId, stepId } = row;
    // Independent idempotent writes, side by side on the pool: they sit on every step's
    // critical path, and a retried activity rewrites whatever did not land.
    const record = () =>
      Promise.all([
        ...Object.entries(outputs).map(([name, ref]) => recordArtifact(deps.db, ref, { runId, stepId, name })),
        storeStepCache(deps.db, row.cacheKey, { runId, stepId, outputs, metrics }),
        upsertStep(deps.db, { ...row, status: 'succeeded', outputs, metrics }),
      ]);
    await withBackoff(ctx, 'recording outputs', record, deps.storeRetry);
    try {
      await release();
    } catch (err) {
      // The result is recorded: a container left behind is litter, not a reason to run the step again.
      ctx.log.warn(`could not remove the finished container of step ${stepId}: ${(err as Error).message}`);
    }
    await rm(workDir, { recursive: true, force: true });
    return { outputs, metrics };
  } finally {
    stop();
  }
}
