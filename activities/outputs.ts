import { ApplicationFailure } from '@temporalio/activity';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRef } from '../core/artifacts/store.js';
import { FailureType } from '../core/errors.js';
import type { ActivityDeps } from './deps.js';

export async function missingOutputs(outDir: string, names: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) if (!(await stat(join(outDir, name)).catch(() => undefined))) missing.push(name);
  return missing;
}

/** Uploads each declared output from `${workDir}/outputs` (check missingOutputs first). */
export async function collectOutputs(deps: ActivityDeps, outDir: string, names: string[]): Promise<Record<string, ArtifactRef>> {
  const outputs: Record<string, ArtifactRef> = {};
  for (const name of names) outputs[name] = await deps.artifacts.putPath(join(outDir, name));
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
    throw ApplicationFailure.nonRetryable(`metrics.json is not valid JSON: ${(err as Error).message}`, FailureType.StepFailed);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw ApplicationFailure.nonRetryable('metrics.json must be a JSON object of {"name": number}', FailureType.StepFailed);
  }
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw ApplicationFailure.nonRetryable(`metrics.json: "${k}" must be a finite number, got ${JSON.stringify(v)}`, FailureType.StepFailed);
    }
    metrics[k] = v;
  }
  return metrics;
}
