import { trace } from '@opentelemetry/api';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker/index.js';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next, WorkerOptions } from '@temporalio/worker';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { stepAttributes } from '../core/telemetry/attributes.js';
import type { Tracing } from '../core/telemetry/tracing.js';

const require = createRequire(import.meta.url);
const workflowsExt = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

/**
 * The workflow interceptor modules tracing needs in the workflow bundle, outermost first: the
 * package's (RunWorkflow, StartActivity spans, in the sandbox, exported through the `exporter` sink)
 * and Sluice's (the run's attributes on RunWorkflow). A pre-built bundle must be built with them.
 */
export const tracingWorkflowModules = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
  fileURLToPath(new URL(`../workflows/tracing.${workflowsExt}`, import.meta.url)),
];

/** Adds the step's identity to the RunActivity span (it runs inside the OpenTelemetry interceptor). */
class StepAttributes implements ActivityInboundCallsInterceptor {
  constructor(private readonly defaultExecutor: string | undefined) {}
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>) {
    trace.getActiveSpan()?.setAttributes(stepAttributes(input.args[0], this.defaultExecutor));
    return next(input);
  }
}

/** Worker.create options that join workflows and activities to the caller's trace. */
export function workerTracingOptions(
  tracing: Tracing,
  opts: { defaultExecutor?: string; bundled: boolean },
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      // Modules only matter when the worker bundles the workflows itself.
      ...(opts.bundled ? {} : { workflowModules: tracingWorkflowModules }),
      activity: [
        (ctx: ActivityContext) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
        () => ({ inbound: new StepAttributes(opts.defaultExecutor) }),
      ],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
