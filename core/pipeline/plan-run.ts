import { ValidationError } from '../errors.js';
import { resolveParams, type ResolvedParams } from './params.js';
import { compilePlan, type Plan } from './plan.js';
import type { PipelineSpec } from './schema.js';

export interface RunPlan {
  params: ResolvedParams;
  plan: Plan;
}

/**
 * The plan a run of one pipeline version walks: its params resolved against the spec's
 * declarations, then compiled. Every way of starting a run (API, schedule, tests, bench) comes
 * through here, so a bad param or a plan that cannot compile is the same 400 everywhere.
 */
export function planRun(
  pipeline: { spec: PipelineSpec; version: number },
  given: Record<string, unknown>,
  opts: { cache?: boolean } = {},
): RunPlan {
  const { spec, version } = pipeline;
  const resolved = resolveParams(spec, given);
  if (!resolved.ok) {
    throw new ValidationError(`invalid params for pipeline ${spec.name} version ${version}`, resolved.errors);
  }
  try {
    return { params: resolved.params, plan: compilePlan(spec, resolved.params, { version, cache: opts.cache }) };
  } catch (err) {
    // compilePlan checks what only resolved values reveal (e.g. a param used as an input must hold a URI).
    throw new ValidationError(
      `pipeline ${spec.name} version ${version} cannot run with these params: ${(err as Error).message}`,
    );
  }
}
