import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { MonitoringConfig, MonitoringInput, RetrainConfig, RetrainInput } from './config.js';
import { MonitoringSchema, RetrainSchema } from './config.js';

// Names of workflows/drift-monitor.ts (core does not import workflows/).
const WORKFLOW = 'driftMonitorWorkflow';
const CONFIGURE_SIGNAL = 'configureDrift';
export const driftMonitorId = (deployment: string) => `drift-monitor:${deployment}`;

export interface StartDriftMonitor {
  deployment: string;
  taskQueue: string;
  monitoring: MonitoringInput | MonitoringConfig;
  retrain?: RetrainInput | RetrainConfig | null;
}

/**
 * Starts the deployment's monitor, or hands a running one its (possibly new) settings:
 * signal-with-start is idempotent, so calling this on every create or update is safe.
 */
export async function startDriftMonitor(client: Client, s: StartDriftMonitor): Promise<string> {
  const monitoring = MonitoringSchema.parse(s.monitoring);
  const settings = { monitoring, ...(s.retrain ? { retrain: RetrainSchema.parse(s.retrain) } : {}) };
  const handle = await client.workflow.signalWithStart(WORKFLOW, {
    workflowId: driftMonitorId(s.deployment),
    taskQueue: s.taskQueue,
    args: [{ deployment: s.deployment, ...settings }],
    signal: CONFIGURE_SIGNAL,
    signalArgs: [settings],
    staticSummary: `drift monitor of ${s.deployment}`,
  });
  return handle.workflowId;
}

/** Stops the monitor (a deleted deployment); a monitor that is not running is fine. */
export async function stopDriftMonitor(client: Client, deployment: string): Promise<void> {
  try {
    await client.workflow.getHandle(driftMonitorId(deployment)).terminate('deployment removed');
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}
