// Workflow interceptors for tracing, bundled only when tracing is on (workers/tracing.ts). They run
// inside @temporalio/interceptors-opentelemetry's, whose RunWorkflow span is then the active one.
import { trace } from '@opentelemetry/api';
import {
  workflowInfo,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
} from '@temporalio/workflow';
import { runAttributes } from '../core/telemetry/attributes.js';
import type { RunPipelineInput } from '../core/runs/contract.js';

class RunAttributes implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) {
    // Attributes go out through the exporter sink only: nothing here touches the workflow's history.
    if (workflowInfo().workflowType === 'runPipeline')
      trace.getActiveSpan()?.setAttributes(runAttributes(input.args[0] as Partial<RunPipelineInput>));
    return next(input);
  }
}

export const interceptors = (): WorkflowInterceptors => ({ inbound: [new RunAttributes()] });
