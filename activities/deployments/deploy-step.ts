import { ApplicationFailure, Context } from '@temporalio/activity';
import { getDeployment } from '../../core/deployments/deployments.js';
import { getRollout } from '../../core/deployments/rollouts.js';
import { applyDeployment, deploymentStatus, type DeploymentsContext } from '../../core/deployments/service.js';
import type { DeploymentSpec } from '../../core/deployments/spec.js';
import { FailureType } from '../../core/errors.js';
import { resolveModelUri } from '../../core/registry/resolvers.js';
import { pipelineActor } from '../../core/runs/pipeline-actor.js';
import type { ActivityDeps } from '../deps.js';

export interface DeployStepInput {
  runId: string;
  stepId: string;
  deployment: string;
  /** A models:/ URI, or the model and version a register step made. */
  model: string | { model: string; version: number };
  spec?: DeploymentSpec;
}

export interface DeployStepOutput {
  deployment: string;
  model: string;
  version: number;
  rolloutId: string | null;
  /** deployed (it serves now, or already did) | rolled-back | failed */
  outcome: 'deployed' | 'rolled-back' | 'failed';
  reason: string | null;
}

const POLL_MS = 500;

/**
 * Asks the deployment to serve the version and waits for the rollout's outcome. A retry finds the
 * rollout its first attempt started (the deployment's active or last rollout to that version)
 * rather than asking again, so a step never starts two rollouts.
 */
export function deployStepActivity(deps: ActivityDeps) {
  return async function deployStep(i: DeployStepInput): Promise<DeployStepOutput> {
    const actx = Context.current();
    const ctx: DeploymentsContext = { db: deps.db, temporal: actx.client, taskQueue: actx.info.taskQueue };
    const invalid = (m: string) => ApplicationFailure.nonRetryable(`step ${i.stepId}: ${m}`, FailureType.InvalidStep);
    const target =
      typeof i.model === 'string'
        ? await resolveModelUri(deps.db, i.model, 'model').then(
            (v) => ({ model: v.model, version: v.version }),
            (err: unknown) => {
              throw invalid((err as Error).message);
            },
          )
        : i.model;
    const spec = i.spec ?? (await getDeployment(deps.db, i.deployment))?.spec;
    if (!spec) throw invalid(`deployment ${i.deployment} does not exist; give the step a spec to create it`);
    if (spec.model !== target.model)
      throw invalid(`deployment ${i.deployment} serves model ${spec.model}, not ${target.model}`);

    const status = await deploymentStatus(ctx, i.deployment);
    let rolloutId: string | null;
    if (status?.active && status.active.toVersion === target.version) rolloutId = status.active.id;
    else if (status?.current?.version === target.version && !i.spec)
      return { deployment: i.deployment, ...target, rolloutId: null, outcome: 'deployed', reason: 'already serving' };
    else rolloutId = (await applyDeployment(ctx, spec, target.version, pipelineActor(i.runId))).accepted.rolloutId;
    if (!rolloutId)
      return { deployment: i.deployment, ...target, rolloutId: null, outcome: 'deployed', reason: 'already serving' };

    for (;;) {
      actx.heartbeat();
      const r = await getRollout(deps.db, rolloutId);
      if (r && r.status !== 'running') {
        const outcome = r.status === 'succeeded' ? 'deployed' : r.status === 'rolled-back' ? 'rolled-back' : 'failed';
        return { deployment: i.deployment, ...target, rolloutId, outcome, reason: r.reason };
      }
      await new Promise((res) => setTimeout(res, POLL_MS));
      if (actx.cancellationSignal.aborted) throw actx.cancellationSignal.reason;
    }
  };
}
