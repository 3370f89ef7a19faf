import { createHash } from 'node:crypto';
import type { ArtifactRef } from '../core/artifacts/store.js';
import type { ContainerPlanStep } from '../core/pipeline/plan.js';

/** Canonical JSON (sorted keys), so equal content always hashes the same. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/**
 * Everything that determines a step's result: the image (by digest where the engine gives
 * one), command, args, env, the run's params, the digests of its inputs and its code package.
 */
export function stepCacheKey(
  step: ContainerPlanStep,
  params: Record<string, unknown>,
  inputs: Record<string, ArtifactRef>,
  imageDigest?: string,
): string {
  const material = {
    v: 1,
    image: imageDigest ?? step.image,
    command: step.command,
    args: step.args,
    env: step.env,
    outputs: step.outputs,
    params,
    inputs: Object.fromEntries(Object.entries(inputs).map(([k, r]) => [k, `${r.kind}:${r.sha256}`])),
    // Only when present, so the keys of steps without code stay what they were.
    ...(step.code !== undefined ? { code: step.code } : {}),
    ...(step.python !== undefined ? { python: step.python } : {}),
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(material)))
    .digest('hex');
}
