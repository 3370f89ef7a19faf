import {
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  condition,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { CheckOutput } from '../core/drift/check.js';
import type { MonitoringConfig, RetrainConfig } from '../core/drift/config.js';

type Activities = ReturnType<typeof createActivities>;

const { checkDrift } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface DriftSettings {
  monitoring: MonitoringConfig;
  retrain?: RetrainConfig;
}

export interface DriftMonitorInput extends DriftSettings {
  deployment: string;
  /** Carried across continue-as-new: the check counter and the first run of the chain. */
  seq?: number;
  chain?: string;
  /** Checks before continue-as-new (CHECKS_PER_RUN; tests make it small). */
  checksPerRun?: number;
}

/** New settings for a running monitor (startDriftMonitor sends them with signal-with-start). */
export const configureDriftSignal = defineSignal<[DriftSettings]>('configureDrift');

export interface DriftMonitorStatus {
  /** Checks this workflow run completed. */
  checks: number;
  last: CheckOutput | null;
}

/** What the monitor did last (tests, the CLI, the Temporal UI). */
export const driftStatusQuery = defineQuery<DriftMonitorStatus>('driftStatus');

/** Checks per workflow run before continue-as-new: about 10 events a check keeps history small. */
export const CHECKS_PER_RUN = 200;

export const driftMonitorWorkflowId = (deployment: string) => `drift-monitor:${deployment}`;

/**
 * A deployment's drift monitor (`drift-monitor:<deployment>`): one checkDrift activity per interval.
 * A check's id is the chain's first run id and a counter, both carried across continue-as-new, so
 * ids never repeat and a retried check keys the same results and the same retraining run.
 */
export async function driftMonitorWorkflow(input: DriftMonitorInput): Promise<void> {
  let settings: DriftSettings = { monitoring: input.monitoring, ...(input.retrain ? { retrain: input.retrain } : {}) };
  let changed = false;
  setHandler(configureDriftSignal, (s) => {
    settings = s;
    changed = true;
  });
  const chain = input.chain ?? workflowInfo().firstExecutionRunId;
  let seq = input.seq ?? 0;
  let last: CheckOutput | null = null;
  let completed = 0;
  setHandler(driftStatusQuery, () => ({ checks: completed, last }));
  for (let i = 0; i < (input.checksPerRun ?? CHECKS_PER_RUN); i++) {
    if (settings.monitoring.enabled) {
      seq++;
      last = await checkDrift({
        deployment: input.deployment,
        checkId: `${input.deployment}:${chain.slice(0, 8)}:${seq}`,
        at: new Date().toISOString(),
        ...settings,
      });
      completed++;
    }
    changed = false;
    // A new configuration takes effect at once rather than after the old interval.
    await condition(() => changed, settings.monitoring.intervalSeconds * 1000);
  }
  await continueAsNew<typeof driftMonitorWorkflow>({
    deployment: input.deployment,
    ...settings,
    seq,
    chain,
    ...(input.checksPerRun ? { checksPerRun: input.checksPerRun } : {}),
  });
}
