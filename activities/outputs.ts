import { ApplicationFailure } from '@temporalio/activity';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRef } from '../core/artifacts/store.js';
import { FailureType } from '../core/errors.js';
import type { ActivityDeps } from './deps.js';

/** Uploads each declared output from `${workDir}/outputs` and reads metrics.json. */
export async function collectOutputs(deps: ActivityDeps, outDir: string, names: string[]): Promise<Record<string, ArtifactRef>> {
  const outputs: Record<string, ArtifactRef> = {};
  const missing: string[] = [];
  for (const name of names) {
    const path = join(outDir, name);
    if (!(await stat(path).catch(() => undefined))) {
      missing.push(name);
      continue;
    }
    outputs[name] = await deps.artifacts.putPath(path);
  }
  if (missing.length) {
    throw ApplicationFailure.retryable(`the step exited 0 but did not write declared output(s): ${missing.join(', ')}`, FailureType.StepFailed);
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
