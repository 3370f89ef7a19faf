// One long-lived workflow per deployment (id `deployment:<name>`): it owns the deployment's serving
// instances and runs one rollout at a time. Workflow code: deterministic; every side effect is an
// activity, and the clock and ids are the workflow's own (replay-safe).
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  sleep,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import {
  DEPLOY_UPDATE,
  DeployRefusal,
  RETIRE_UPDATE,
  ROLLBACK_UPDATE,
  STATUS_QUERY,
  type ActiveRollout,
  type DeployAccepted,
  type DeploymentState,
  type DeploymentStatus,
  type DeployRequest,
  type RetireRequest,
  type Retired,
  type RollbackRequest,
  type Serving,
} from '../core/deployments/contract.js';
import type { CheckResult, InstanceRef } from '../core/deployments/instance.js';
import type { TimelineEntry } from '../core/deployments/rollouts.js';
import { trafficSteps } from '../core/deployments/spec.js';
import type { RolloutStatus } from '../core/db/tables/deployments.js';

type Activities = ReturnType<typeof createActivities>;

export const deployUpdate = defineUpdate<DeployAccepted, [DeployRequest]>(DEPLOY_UPDATE);
export const rollbackUpdate = defineUpdate<DeployAccepted, [RollbackRequest]>(ROLLBACK_UPDATE);
export const deploymentStatusQuery = defineQuery<DeploymentStatus>(STATUS_QUERY);
export const retireUpdate = defineUpdate<Retired, [RetireRequest]>(RETIRE_UPDATE);

const retry = {
  initialInterval: '1s',
  maximumInterval: '10s',
  maximumAttempts: 20,
  nonRetryableErrorTypes: ['InvalidServer'],
};
// Starting may build a Python environment; it heartbeats, so a dead worker's attempt is retried in seconds.
const { startInstance } = proxyActivities<Activities>({ startToCloseTimeout: '30m', heartbeatTimeout: '20s', retry });
const { stopInstance, smoke, recordRollout, setRoutes, checkAlarms, moveProductionAlias } = proxyActivities<Activities>(
  {
    startToCloseTimeout: '2m',
    retry,
  },
);

/** After this many rollouts the workflow continues as new even if the server does not ask yet. */
const ROLLOUTS_PER_RUN = 50;

interface Pending {
  id: string;
  kind: 'deploy' | 'rollback';
  version: number;
  by: string;
}

export interface DeploymentWorkflowInput extends DeploymentState {
  /** A rollout accepted but not started when the previous run continued as new. */
  pending?: Pending | null;
  last?: DeploymentStatus['last'];
}

export async function deploymentWorkflow(input: DeploymentWorkflowInput): Promise<void> {
  const state: DeploymentState = {
    name: input.name,
    spec: input.spec,
    current: input.current,
    previous: input.previous,
    rollouts: input.rollouts,
  };
  let pending: Pending | null = input.pending ?? null;
  let active: ActiveRollout | null = null;
  let last: DeploymentStatus['last'] = input.last ?? null;
  let retiring: RetireRequest | null = null;
  let retired: Retired | null = null;
  const busy = () => pending !== null || active !== null;
  const refuseWhileRetiring = () => {
    if (retiring)
      throw ApplicationFailure.create({
        type: DeployRefusal.Retiring,
        message: `deployment ${state.name} is being deleted`,
      });
  };
  const busyReason = () => {
    const r = active ?? pending!;
    const to = 'toVersion' in r ? r.toVersion : r.version;
    return `deployment ${state.name} is busy with rollout ${r.id} (${r.kind} to version ${to}); wait for it to finish`;
  };

  setHandler(deploymentStatusQuery, () => ({ ...state, active, last }));
  setHandler(
    deployUpdate,
    (req): DeployAccepted => {
      if (req.spec) state.spec = req.spec;
      if (req.version === undefined) return { rolloutId: null, noop: 'spec saved; no version asked for' };
      if (state.current?.version === req.version)
        return { rolloutId: null, noop: `version ${req.version} already serves` };
      pending = { id: `${state.name}-${uuid4()}`, kind: 'deploy', version: req.version, by: req.by };
      return { rolloutId: pending.id };
    },
    {
      validator: (req) => {
        refuseWhileRetiring();
        if (req.spec && req.spec.name !== state.name)
          throw ApplicationFailure.create({ type: DeployRefusal.Invalid, message: `spec.name must be ${state.name}` });
        if (req.version !== undefined && !(Number.isInteger(req.version) && req.version >= 1))
          throw ApplicationFailure.create({ type: DeployRefusal.Invalid, message: 'version must be an integer >= 1' });
        if (req.version !== undefined && busy())
          throw ApplicationFailure.create({ type: DeployRefusal.Busy, message: busyReason() });
      },
    },
  );
  setHandler(
    rollbackUpdate,
    (req): DeployAccepted => {
      pending = { id: `${state.name}-${uuid4()}`, kind: 'rollback', version: state.previous!.version, by: req.by };
      return { rolloutId: pending.id };
    },
    {
      validator: (_req) => {
        refuseWhileRetiring();
        if (busy()) throw ApplicationFailure.create({ type: DeployRefusal.Busy, message: busyReason() });
        if (!state.previous)
          throw ApplicationFailure.create({
            type: DeployRefusal.NoPrevious,
            message: `deployment ${state.name} has no previous version to roll back to`,
          });
      },
    },
  );

  setHandler(
    retireUpdate,
    async (req): Promise<Retired> => {
      retiring ??= req;
      await condition(() => retired !== null);
      return retired!;
    },
    {
      validator: (_req) => {
        // A second delete while the first runs waits for the same outcome.
        if (!retiring && busy()) throw ApplicationFailure.create({ type: DeployRefusal.Busy, message: busyReason() });
      },
    },
  );

  for (;;) {
    const suggested = () =>
      workflowInfo().continueAsNewSuggested || state.rollouts - input.rollouts >= ROLLOUTS_PER_RUN;
    await condition(() => pending !== null || retiring !== null || suggested());
    if (retiring && !pending) {
      // Nothing is routed first, then every version this deployment may still run is stopped.
      await setRoutes({ deployment: state.name, routes: [] });
      const serving = [state.current, state.previous].filter((v): v is Serving => v !== null);
      const versions = [...new Set(serving.map((v) => v.version))];
      for (const v of serving)
        await stopInstance({ deployment: state.name, version: v.version, executor: v.instance.executor });
      state.previous = state.current;
      state.current = null;
      retired = { stopped: versions };
      await condition(allHandlersFinished);
      return;
    }
    if (pending) {
      const p: Pending = pending;
      active = {
        id: p.id,
        kind: p.kind,
        toVersion: p.version,
        fromVersion: state.current?.version ?? null,
        phase: 'starting',
      };
      pending = null;
      await runRollout(state, p, active, (outcome) => {
        // Settled before its row says so: whoever reads the row may deploy again at once.
        last = { id: p.id, ...outcome };
        state.rollouts += 1;
        active = null;
      });
    }
    if (suggested() && !pending) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof deploymentWorkflow>({ ...state, pending, last });
    }
  }
}

function routesOf(old: Serving | null, next: InstanceRef, share: number) {
  const routes = [{ model: next.model, version: next.version, url: next.url, weight: share }];
  if (old && share < 100)
    routes.push({ model: old.instance.model, version: old.version, url: old.instance.url, weight: 100 - share });
  return routes;
}

/**
 * Blue/green with health gates: start the new instance beside the old, wait until /ready names the
 * exact version, smoke it, shift traffic (canary steps each baked and judged against the alarms),
 * then stop the old one and move the `production` alias. Any failed gate routes everything back to
 * the old version and stops the new one: an outcome (`rolled-back` with the reason), not an error.
 */
async function runRollout(
  state: DeploymentState,
  p: Pending,
  active: ActiveRollout,
  settled: (outcome: { status: RolloutStatus; reason: string | null }) => void,
): Promise<void> {
  const spec = state.spec;
  const from = state.current;
  const timeline: TimelineEntry[] = [];
  const startedAt = new Date().toISOString();
  const record = (status: RolloutStatus, reason: string | null, finished: boolean) =>
    recordRollout({
      id: p.id,
      deployment: state.name,
      kind: p.kind,
      model: spec.model,
      fromVersion: from?.version ?? null,
      toVersion: p.version,
      status,
      reason,
      requestedBy: p.by,
      timeline,
      startedAt,
      finished,
    });
  const note = (step: string, detail?: string) => {
    active.phase = step;
    timeline.push({ at: new Date().toISOString(), step, ...(detail !== undefined ? { detail } : {}) });
  };

  note('requested', `${p.kind} ${spec.model}/${p.version}${from ? ` (serving ${from.version})` : ''} by ${p.by}`);
  await record('running', null, false);
  let instance: InstanceRef | undefined;
  let reason: string | null = null;
  let status: RolloutStatus = 'succeeded';
  try {
    instance = await startInstance({
      deployment: state.name,
      model: spec.model,
      version: p.version,
      server: spec.server,
      ...(spec.code ? { code: spec.code } : {}),
    });
    note('started', `${instance.url}${instance.adopted ? ' (adopted a running instance)' : ''}`);
    await record('running', null, false);
    const gates: Array<() => Promise<CheckResult>> = [
      () => waitReadyFor(instance!, spec.server.readyTimeoutSeconds),
      ...(spec.smoke ? [() => smoke({ instance: instance!, smoke: spec.smoke! })] : []),
    ];
    for (const gate of gates) {
      const r = await gate();
      if (!r.ok) {
        status = 'rolled-back';
        reason = r.reason;
        break;
      }
      note(r.detail.split(':')[0]!, r.detail);
    }
    // A first deployment has nothing to compare with: all of the traffic at once.
    const shares = from ? trafficSteps(spec) : [100];
    for (const share of status === 'succeeded' ? shares : []) {
      const since = new Date().toISOString();
      await setRoutes({ deployment: state.name, routes: routesOf(from, instance, share) });
      note('traffic', `${share}% to version ${p.version}`);
      await record('running', null, false);
      if (spec.rollout.bakeSeconds > 0) {
        active.phase = `baking at ${share}%`;
        await sleep(spec.rollout.bakeSeconds * 1000);
        const verdict = await checkAlarms({ deployment: state.name, version: p.version, since, alarms: spec.alarms });
        if (!verdict.ok) {
          status = 'rolled-back';
          reason = verdict.reason;
          break;
        }
        note('baked', verdict.detail);
      }
    }
  } catch (err) {
    // An activity that failed for good (a server command that cannot run, a model version that is gone).
    status = 'failed';
    reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  }

  if (status === 'succeeded' && instance) {
    if (from) {
      await stopInstance({ deployment: state.name, version: from.version, executor: from.instance.executor });
      note('stopped', `version ${from.version}`);
    }
    const moved = await moveProductionAlias({ deployment: state.name, model: spec.model, version: p.version });
    note('alias', `${spec.model}@production -> ${p.version} (was ${moved.previous ?? 'unset'})`);
    state.previous = from;
    state.current = { version: p.version, instance };
    note('succeeded');
  } else {
    note('rolling back', reason ?? undefined);
    await setRoutes({
      deployment: state.name,
      routes: from ? [{ model: from.instance.model, version: from.version, url: from.instance.url, weight: 100 }] : [],
    });
    await stopInstance({
      deployment: state.name,
      version: p.version,
      executor: instance?.executor ?? spec.server.executor ?? 'process',
    });
    note(status, from ? `version ${from.version} serves` : 'nothing serves');
  }
  settled({ status, reason });
  await record(status, reason, true);
}

/** The readiness wait, with a deadline fixed now so that a retried attempt keeps the same one. */
function waitReadyFor(instance: InstanceRef, timeoutSeconds: number): Promise<CheckResult> {
  const { waitReady } = proxyActivities<Activities>({
    startToCloseTimeout: `${timeoutSeconds + 120}s`,
    heartbeatTimeout: '20s',
    retry,
  });
  return waitReady({ instance, deadline: Date.now() + timeoutSeconds * 1000 });
}
