import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import type { Tracing } from '../core/telemetry/index.js';

// From source (tsx) the workflows are .ts files; in the production image (tsc output) they are .js.
const workflowsEntry = import.meta.url.endsWith('.ts') ? '../workflows/index.ts' : '../workflows/index.js';
export const workflowsPath = fileURLToPath(new URL(workflowsEntry, import.meta.url));

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  maxConcurrentActivities: number;
  /** A pre-built bundle (tests bundle once per file); otherwise bundled from workflowsPath. */
  workflowBundle?: { code: string };
  /** Joins workflows and activities to the trace that started them; a pre-built bundle must include tracingWorkflowModules. */
  tracing?: Tracing;
}

/** Builds the worker that runs pipelines: the workflows plus activities bound to real clients. */
export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities(opts.deps),
    // Imported only when tracing is on, like everything of OpenTelemetry.
    ...(opts.tracing
      ? (await import('./tracing.js')).workerTracingOptions(opts.tracing, {
          defaultExecutor: opts.deps.defaultExecutor,
          bundled: !!opts.workflowBundle,
        })
      : {}),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities,
    // Steps get this long to stop their containers when the worker shuts down.
    shutdownGraceTime: '10s',
    // An activity learns of its cancel only from a heartbeat's answer; by default the SDK sends
    // heartbeats at 0.8 × the heartbeat timeout (12 s of 15 s), so a cancel would wait that long.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
  });
}
