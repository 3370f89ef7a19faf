import { judgeAlarms, versionStatsSince, type AlarmVerdict } from '../../core/deployments/alarms.js';
import { recordRollout, type Rollout } from '../../core/deployments/rollouts.js';
import { setRoutes, type Route } from '../../core/deployments/routes.js';
import type { DeploymentSpec } from '../../core/deployments/spec.js';
import { moveAliasRecorded } from '../../core/registry/models/alias-history.js';
import type { ActivityDeps } from '../deps.js';

/** The alias that follows what a deployment serves. */
export const PRODUCTION_ALIAS = 'production';

/** Who a deployment's own changes are recorded as (alias moves, rollouts). */
export const deploymentActor = (name: string) => ({ actor: `deployment:${name}` });

/** The rollout activities that only touch the metadata database. */
export function rolloutActivities(deps: ActivityDeps) {
  return {
    async recordRollout(r: Omit<Rollout, 'finishedAt'> & { finished: boolean }): Promise<void> {
      await recordRollout(deps.db, r);
    },
    async setRoutes(i: { deployment: string; routes: Route[] }): Promise<void> {
      await setRoutes(deps.db, i.deployment, i.routes);
    },
    async checkAlarms(i: {
      deployment: string;
      version: number;
      since: string;
      alarms: DeploymentSpec['alarms'];
    }): Promise<AlarmVerdict> {
      const stats = await versionStatsSince(deps.db, i.deployment, i.version, new Date(i.since));
      return judgeAlarms(stats, i.alarms);
    },
    async moveProductionAlias(i: {
      deployment: string;
      model: string;
      version: number;
    }): Promise<{ previous: number | null }> {
      const { previous } = await moveAliasRecorded(
        deps.db,
        i.model,
        PRODUCTION_ALIAS,
        i.version,
        deploymentActor(i.deployment),
      );
      return { previous };
    },
  };
}
