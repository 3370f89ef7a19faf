import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { audited, type Actor } from '../access/audit.js';
import { startDriftMonitor, stopDriftMonitor } from '../drift/monitor.js';
import type { Db } from '../db/connect.js';
import { ConflictError, NotFoundError, SluiceError, ValidationError } from '../errors.js';
import { requireVersion } from '../registry/models/versions-read.js';
import { parseModelUri, parseVersionRef, type VersionRef } from '../registry/uris.js';
import {
  DEPLOY_UPDATE,
  DeployRefusal,
  RETIRE_UPDATE,
  ROLLBACK_UPDATE,
  STATUS_QUERY,
  deploymentWorkflowId,
  type DeployAccepted,
  type DeploymentStatus,
  type DeployRequest,
  type RetireRequest,
  type Retired,
  type RollbackRequest,
} from './contract.js';
import { deleteDeploymentRecord, getDeployment, saveDeployment } from './deployments.js';
import type { DeploymentSpec } from './spec.js';

export interface DeploymentsContext {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

/** How long an update waits for a worker before the caller is told to retry. */
const UPDATE_DEADLINE_MS = 20_000;

const REFUSALS: Record<string, (m: string) => SluiceError> = {
  [DeployRefusal.Busy]: (m) => new ConflictError(m),
  [DeployRefusal.NoPrevious]: (m) => new ConflictError(m),
  [DeployRefusal.Invalid]: (m) => new ValidationError(m),
  [DeployRefusal.Retiring]: (m) => new ConflictError(m),
};

/**
 * A version of the deployment's model: a number, `3`, `@champion`, `champion` or a models:/ URI
 * (which must name the deployment's model). 400 naming `path` when malformed, 404 when missing.
 */
export async function resolveDeployVersion(db: Db, model: string, ref: number | string, path: string): Promise<number> {
  let parsed: VersionRef | undefined;
  if (typeof ref === 'number') parsed = { version: ref };
  else if (ref.startsWith('models:/')) {
    const m = parseModelUri(ref);
    if (m && m.name !== model)
      throw new ValidationError(`${ref} is not a version of ${model}`, [
        { path, message: `this deployment serves model ${model}` },
      ]);
    parsed = m?.ref;
  } else parsed = parseVersionRef(ref);
  if (!parsed)
    throw new ValidationError(`invalid model version ${JSON.stringify(ref)}`, [
      { path, message: `expected a version number, @alias or models:/${model}@alias` },
    ]);
  return (await requireVersion(db, model, parsed)).version;
}

async function ensureWorkflow(ctx: DeploymentsContext, spec: DeploymentSpec): Promise<void> {
  try {
    await ctx.temporal.workflow.start('deploymentWorkflow', {
      workflowId: deploymentWorkflowId(spec.name),
      taskQueue: ctx.taskQueue,
      args: [{ name: spec.name, spec, current: null, previous: null, rollouts: 0 }],
    });
  } catch (err) {
    // One workflow per deployment for its whole life: an existing one is the one we want.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

async function update<A, R = DeployAccepted>(
  ctx: DeploymentsContext,
  name: string,
  update: string,
  arg: A,
  deadlineMs = UPDATE_DEADLINE_MS,
): Promise<R> {
  const handle = ctx.temporal.workflow.getHandle(deploymentWorkflowId(name));
  try {
    return await ctx.temporal.withDeadline(Date.now() + deadlineMs, () =>
      handle.executeUpdate<R, [A]>(update, { args: [arg] }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const refusal = REFUSALS[err.cause.type ?? ''];
      if (refusal) throw refusal(err.cause.message);
    }
    if (err instanceof WorkflowNotFoundError) throw new NotFoundError('deployment', name);
    throw new SluiceError('unavailable', 503, `no worker answered for deployment ${name}; retry`);
  }
}

/**
 * Saves the spec (audited) and hands it to the deployment's workflow, started if it is new; with a
 * version, asks it to serve that version (a rollout) — or answers that it already does.
 */
export async function applyDeployment(
  ctx: DeploymentsContext,
  spec: DeploymentSpec,
  version: number | undefined,
  by: Actor,
): Promise<{ created: boolean; accepted: DeployAccepted }> {
  const { created } = await saveDeployment(ctx.db, spec, by);
  await ensureWorkflow(ctx, spec);
  // The drift monitor follows the spec: started (or handed new settings) while monitoring is on.
  if (spec.monitoring?.enabled)
    await startDriftMonitor(ctx.temporal, {
      deployment: spec.name,
      taskQueue: ctx.taskQueue,
      monitoring: spec.monitoring,
      retrain: spec.retrain ?? null,
    });
  else await stopDriftMonitor(ctx.temporal, spec.name);
  const req: DeployRequest = { spec, by: by.actor, ...(version !== undefined ? { version } : {}) };
  const accepted = await update(ctx, spec.name, DEPLOY_UPDATE, req);
  if (accepted.rolloutId)
    await audited(ctx.db, by, (uow) =>
      uow.audit('deployment.deploy', 'deployment', spec.name, { version, rollout: accepted.rolloutId }),
    );
  return { created, accepted };
}

/** Asks the deployment to return to its previous version, through the same gates. */
export async function rollbackDeployment(ctx: DeploymentsContext, name: string, by: Actor): Promise<DeployAccepted> {
  if (!(await getDeployment(ctx.db, name))) throw new NotFoundError('deployment', name);
  const req: RollbackRequest = { by: by.actor };
  const accepted = await update(ctx, name, ROLLBACK_UPDATE, req);
  await audited(ctx.db, by, (uow) =>
    uow.audit('deployment.rollback', 'deployment', name, { rollout: accepted.rolloutId }),
  );
  return accepted;
}

/** Stopping servers takes up to ~10 s each (SIGTERM, then SIGKILL): the delete waits that long. */
const RETIRE_DEADLINE_MS = 90_000;

/**
 * Deletes a deployment: its workflow routes nothing, stops every instance it runs and ends; the
 * drift monitor stops; the spec and routes are removed (audited). Its rollouts, gateway stats and
 * drift results stay as history. A deployment busy with a rollout answers 409.
 */
export async function deleteDeployment(ctx: DeploymentsContext, name: string, by: Actor): Promise<Retired> {
  if (!(await getDeployment(ctx.db, name))) throw new NotFoundError('deployment', name);
  let retired: Retired = { stopped: [] };
  try {
    const req: RetireRequest = { by: by.actor };
    retired = await update<RetireRequest, Retired>(ctx, name, RETIRE_UPDATE, req, RETIRE_DEADLINE_MS);
  } catch (err) {
    // A workflow already gone (terminated by an operator) has nothing to stop; the records still go.
    if (!(err instanceof NotFoundError)) throw err;
  }
  await stopDriftMonitor(ctx.temporal, name);
  await deleteDeploymentRecord(ctx.db, name, by, retired.stopped);
  return retired;
}

/** The workflow's live status; null when its workflow is not running (or no worker answers). */
export async function deploymentStatus(ctx: DeploymentsContext, name: string): Promise<DeploymentStatus | null> {
  try {
    const handle = ctx.temporal.workflow.getHandle(deploymentWorkflowId(name));
    return await ctx.temporal.withDeadline(Date.now() + 5_000, () => handle.query<DeploymentStatus>(STATUS_QUERY));
  } catch {
    return null;
  }
}
