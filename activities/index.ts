import type { ActivityDeps } from './deps.js';
import { deployStepActivity } from './deployments/deploy-step.js';
import { startInstanceActivity, stopInstanceActivity } from './deployments/instances.js';
import { smokeActivity, waitReadyActivity } from './deployments/probes.js';
import { rolloutActivities } from './deployments/rollout.js';
import { checkDriftActivity } from './drift/check.js';
import { executeStepActivity } from './executeStep.js';
import { resolveBaselineActivity } from './kinds/evaluate.js';
import { ingestActivity } from './kinds/ingest.js';
import { promoteStepActivity } from './kinds/promote.js';
import { registerStepActivity } from './kinds/register.js';
import { recordRunActivity } from './recordRun.js';

export type { ActivityDeps } from './deps.js';

/** Every activity, built from its clients; workflows type their proxies from this factory. */
export function createActivities(deps: ActivityDeps) {
  return {
    executeStep: executeStepActivity(deps),
    recordRun: recordRunActivity(deps),
    ingest: ingestActivity(deps),
    registerStep: registerStepActivity(deps),
    promoteStep: promoteStepActivity(deps),
    resolveBaseline: resolveBaselineActivity(deps),
    startInstance: startInstanceActivity(deps),
    stopInstance: stopInstanceActivity(deps),
    waitReady: waitReadyActivity(deps),
    smoke: smokeActivity(),
    ...rolloutActivities(deps),
    deployStep: deployStepActivity(deps),
    checkDrift: checkDriftActivity(deps),
  };
}
