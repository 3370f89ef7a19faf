import type { Context } from '@temporalio/activity';

/**
 * Step metrics, recorded through the activity's Temporal metric meter so they leave the worker on the
 * same Prometheus endpoint as the SDK's own series (workers/startup.ts workerTelemetry); without one
 * configured the meter is a no-op.
 *   sluice_step_duration_seconds{pipeline, step, executor, outcome}   the step's own run time
 * outcome: succeeded (exit 0), failed (non-zero exit), timed-out.
 */
export function recordStepDuration(
  ctx: Context,
  labels: { pipeline: string; step: string; executor: string },
  result: { exitCode: number; timedOut: boolean; durationMs: number },
): void {
  const outcome = result.timedOut ? 'timed-out' : result.exitCode === 0 ? 'succeeded' : 'failed';
  ctx.metricMeter
    .createHistogram('sluice_step_duration', 'float', 'seconds', 'Run time of a pipeline step on its executor')
    .withTags({ ...labels, outcome })
    .record(result.durationMs / 1000);
}
