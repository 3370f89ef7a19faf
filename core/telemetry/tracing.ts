// Loaded only when an OTLP endpoint is configured (see ./index.ts): without one, none of this runs.
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client/index.js';
import type { Next, WorkflowClientInterceptor, WorkflowStartInput } from '@temporalio/client';
import type { RunPipelineInput } from '../runs/contract.js';
import type { TracingConfig } from './config.js';
import { runAttributes } from './attributes.js';

export interface Tracing {
  serviceName: string;
  /** Where spans go. */
  tracesUrl: string;
  provider: NodeTracerProvider;
  /** Ends spans into the batch exporter; the worker's workflow spans (created in the sandbox) arrive through it too. */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** For `new Client({ interceptors })`: StartWorkflow (and signal, query…) spans that carry the trace to the workflow. */
  clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** Exports what is buffered now. */
  flush(): Promise<void>;
  /** Exports what is still buffered and stops; idempotent. */
  shutdown(): Promise<void>;
}

/** Adds the run's identity to the StartWorkflow span (it runs inside the OpenTelemetry interceptor). */
class SluiceStartAttributes implements WorkflowClientInterceptor {
  async start(input: WorkflowStartInput, next: Next<WorkflowClientInterceptor, 'start'>): Promise<string> {
    if (input.workflowType === 'runPipeline')
      trace.getActiveSpan()?.setAttributes(runAttributes(input.options.args[0] as Partial<RunPipelineInput>));
    return next(input);
  }
}

function samplerFor(c: TracingConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(c.samplerRatio);
  switch (c.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Starts this process' tracer provider: OTLP/HTTP export in batches, registered globally (with the
 * AsyncLocalStorage context manager and W3C trace context) so that a span active in an HTTP handler
 * is the parent of the Temporal client's spans. One per process: the embedded stack shares it
 * between its API and its worker.
 */
export function startTracing(c: TracingConfig, defaultServiceName: string): Tracing {
  const serviceName = c.serviceName ?? defaultServiceName;
  // OTEL_RESOURCE_ATTRIBUTES (deployment.environment=…, k8s names) ride along; the service name is ours.
  const resource = Resource.default()
    .merge(envDetectorSync.detect())
    .merge(new Resource({ 'service.name': serviceName }));
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: c.tracesUrl }));
  const provider = new NodeTracerProvider({ resource, sampler: samplerFor(c), spanProcessors: [spanProcessor] });
  provider.register();
  let stopping: Promise<void> | undefined;
  return {
    serviceName,
    tracesUrl: c.tracesUrl,
    provider,
    spanProcessor,
    resource,
    clientInterceptors: {
      // Outermost first: the StartWorkflow span is active when Sluice's attributes are added to it.
      workflow: [new OpenTelemetryWorkflowClientInterceptor(), new SluiceStartAttributes()],
    },
    flush: () => provider.forceFlush(),
    shutdown: () => (stopping ??= provider.shutdown()),
  };
}
