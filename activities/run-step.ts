import { CancelledFailure, type Context } from '@temporalio/activity';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRef } from '../core/artifacts/store.js';
import { upsertStep } from '../core/runs/projection.js';
import type { ExecuteStepInput } from '../core/runs/contract.js';
import { codeDirFor } from './code-dir.js';
import type { ActivityDeps } from './deps.js';
import { ExecutorError, type Executor, type StepRunResult } from './executors/types.js';
import { refused, type StepAttempt } from './step-failures.js';
import { attemptHeader, countStoredLines } from './stored-lines.js';
import { limitedResources } from './step-policy.js';
import { recordStepDuration } from './step-metrics.js';

// A cancel reaches the step with the next heartbeat's answer (the worker throttles to 1 s too).
const HEARTBEAT_MS = 1_000;
const TAIL_LINES = 15;

export interface StepRun {
  result: StepRunResult;
  workDir: string;
  outDir: string;
  /** The last lines the step logged, for the failure message. */
  tail: string[];
}

/**
 * Runs the step once on its executor, in a work directory that holds its inputs: logs go to the
 * log store, heartbeats to Temporal, and a cancelled activity stops the step.
 */
export async function runStep(
  deps: ActivityDeps,
  ctx: Context,
  executor: Executor,
  attempt: StepAttempt,
  input: ExecuteStepInput,
  inputs: Record<string, ArtifactRef>,
): Promise<StepRun> {
  const { runId, step, params } = input;
  const workDir = join(deps.workRoot, runId, step.id);
  await mkdir(join(workDir, 'inputs'), { recursive: true });
  for (const [name, ref] of Object.entries(inputs)) await deps.artifacts.fetchTo(ref, join(workDir, 'inputs', name));

  const log = deps.logs.writer(runId, step.id);
  const tail: string[] = [];
  log.write('stderr', attemptHeader(attempt.attempt, step.id, attempt.executor ?? '', step.image));
  const beat = setInterval(() => ctx.heartbeat({ phase: 'running' }), HEARTBEAT_MS);
  try {
    if (step.secrets?.length && executor.name !== 'kubernetes') {
      throw new ExecutorError(
        'InvalidRequest',
        `step ${step.id} names Kubernetes Secrets (secrets:) but runs on the ${executor.name} executor; set executor: kubernetes`,
      );
    }
    const codeDir = step.code !== undefined ? await codeDirFor(deps, step.code) : undefined;
    if (codeDir) log.write('stderr', `[sluice] code ${step.code!.slice(0, 19)}…`);
    const result = await executor.run({
      runId,
      stepId: step.id,
      attempt: attempt.attempt,
      image: step.image,
      command: step.command,
      args: step.args,
      env: step.env,
      params,
      workDir,
      inputNames: Object.keys(inputs),
      outputNames: step.outputs,
      ...(codeDir !== undefined ? { codeDir } : {}),
      ...(step.python !== undefined ? { python: step.python } : {}),
      resources: limitedResources(deps, step),
      ...(step.network !== undefined ? { network: step.network } : {}),
      ...(step.secrets !== undefined ? { secrets: step.secrets } : {}),
      timeoutMs: step.timeoutMs,
      signal: ctx.cancellationSignal,
      // The container stays until its outputs are stored (executeStep releases it).
      keepFinished: true,
      storedLines: (createdBy) => countStoredLines(deps.logs, runId, step.id, createdBy),
      onLog: (stream, line) => {
        log.write(stream, line);
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      },
    });
    recordStepDuration(ctx, { pipeline: input.pipeline, step: step.id, executor: executor.name }, result);
    return { result, workDir, outDir: join(workDir, 'outputs'), tail };
  } catch (err) {
    if (ctx.cancellationSignal.aborted) {
      await upsertStep(deps.db, { ...attempt, status: 'cancelled', error: 'cancelled' });
      throw new CancelledFailure('step cancelled; its container was stopped and removed');
    }
    throw await refused(deps, attempt, err);
  } finally {
    clearInterval(beat);
    await log.close();
  }
}
