import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ValidationError } from '../../core/errors.js';
import { parsePipelineSpec, type Plan } from '../../core/pipeline/index.js';
import { planRun } from '../../core/pipeline/plan-run.js';
import type { RunPipelineInput, RunProgress } from '../../core/runs/contract.js';
import { workflowIdFor } from '../../core/runs/ids.js';
import type { runPipeline } from '../../workflows/runPipeline.js';
import type { Harness } from './harness.js';
import { uniqueId } from './services.js';

/** Parses, resolves and compiles a spec given as YAML (as version 1), failing the test loudly on any issue. */
export function planFrom(yaml: string, params: Record<string, unknown> = {}, opts: { cache?: boolean } = {}): Plan {
  const parsed = parsePipelineSpec(yaml);
  if (!parsed.ok) throw new Error(`bad spec: ${JSON.stringify(parsed.errors)}`);
  try {
    return planRun({ spec: parsed.spec, version: 1 }, params, opts).plan;
  } catch (err) {
    if (err instanceof ValidationError)
      throw new Error(`${err.message}: ${JSON.stringify(err.issues)}`, { cause: err });
    throw err;
  }
}

export function runInput(plan: Plan, extra: Partial<RunPipelineInput> = {}): RunPipelineInput {
  return { runId: uniqueId(plan.pipeline), plan, trigger: 'test', ...extra };
}

/** Starts runPipeline on the harness' task queue under the run's workflow id, as the API would. */
export function startRunWorkflow(h: Harness, input: RunPipelineInput): Promise<WorkflowHandle<typeof runPipeline>> {
  return h.client.workflow.start<typeof runPipeline>('runPipeline', {
    taskQueue: h.taskQueue,
    workflowId: workflowIdFor(input.runId),
    args: [input],
  });
}

/** Starts runPipeline and waits; returns the final status or the failure. */
export async function runToEnd(
  h: Harness,
  input: RunPipelineInput,
): Promise<{ status?: RunProgress; error?: WorkflowFailedError }> {
  const handle = await startRunWorkflow(h, input);
  try {
    return { status: await handle.result() };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { error: err };
    throw err;
  }
}
