import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRef } from '../core/artifacts/store.js';
import { recordArtifact } from '../core/artifacts/records.js';
import { countStepFailure, upsertStep } from '../core/runs/projection.js';
import { lookupStepCache, storeStepCache } from '../core/runs/step-cache.js';
import { FailureType } from '../core/errors.js';
import { recordStepInput } from '../core/registry/lineage/step-inputs.js';
import type { ExecuteStepInput, StepResult } from '../core/runs/contract.js';
import { stepCacheKey } from './cache-key.js';
import type { ActivityDeps } from './deps.js';
import { ExecutorError } from './executors/types.js';
import { resolveInputUri } from './inputs.js';
import { collectOutputs, missingOutputs, readMetrics } from './outputs.js';

const HEARTBEAT_MS = 2_000;
const TAIL_LINES = 15;

function executorFailure(err: ExecutorError): ApplicationFailure {
  const type = err.code === 'ImageNotFound' ? FailureType.ImageNotFound
    : err.code === 'CommandNotFound' ? FailureType.CommandNotFound : FailureType.InvalidStep;
  return err.code === 'EngineUnavailable'
    ? ApplicationFailure.retryable(err.message, FailureType.StepFailed)
    : ApplicationFailure.nonRetryable(err.message, type);
}

async function cachedResult(deps: ActivityDeps, key: string, attempt: number): Promise<StepResult | undefined> {
  const hit = await lookupStepCache(deps.db, key);
  if (!hit) return undefined;
  const outputs = hit.outputs as Record<string, ArtifactRef>;
  // An entry whose artifacts were deleted from storage is a miss, not a broken run.
  for (const ref of Object.values(outputs)) if (!(await deps.artifacts.exists(ref.uri))) return undefined;
  return { status: 'cached', outputs, metrics: hit.metrics, attempt, cacheKey: key, cachedFromRun: hit.runId, durationMs: 0 };
}

/** One pipeline step: resolve inputs, consult the cache, run it, upload outputs, record it. */
export function executeStepActivity(deps: ActivityDeps) {
  return async function executeStep(input: ExecuteStepInput): Promise<StepResult> {
    const ctx = Context.current();
    const { runId, step, params } = input;
    const attempt = ctx.info.attempt;
    const started = Date.now();
    const executorName = step.executor ?? deps.defaultExecutor;
    const executor = deps.executors[executorName];
    if (!executor) {
      throw ApplicationFailure.nonRetryable(`executor "${executorName}" is not available on this worker`, FailureType.InvalidStep);
    }
    const base = { runId, stepId: step.id, attempt, executor: executorName };
    const inputs: Record<string, ArtifactRef> = {};
    for (const [name, ref] of Object.entries(input.inputs)) {
      if ('sha256' in ref) {
        inputs[name] = ref;
        continue;
      }
      inputs[name] = await resolveInputUri(deps, ref.uri);
      // Lineage: which registry version (dataset, model) this step consumed; idempotent.
      await recordStepInput(deps.db, { runId, stepId: step.id, inputName: name, uri: ref.uri, ref: inputs[name] });
    }
    let imageDigest: string | undefined;
    try {
      imageDigest = await executor.resolveImage(step.image);
    } catch (err) {
      if (err instanceof ExecutorError) {
        await upsertStep(deps.db, { ...base, status: 'failed', error: err.message });
        throw executorFailure(err);
      }
      throw err;
    }
    const cacheKey = stepCacheKey(step, params, inputs, imageDigest);
    if (step.cache) {
      const hit = await cachedResult(deps, cacheKey, attempt);
      if (hit) {
        await upsertStep(deps.db, { ...base, status: 'cached', imageDigest, cacheKey, cachedFromRun: hit.cachedFromRun, outputs: hit.outputs, metrics: hit.metrics });
        return hit;
      }
    }
    await upsertStep(deps.db, { ...base, status: 'running', imageDigest, cacheKey });

    const workDir = join(deps.workRoot, runId, step.id);
    await mkdir(join(workDir, 'inputs'), { recursive: true });
    for (const [name, ref] of Object.entries(inputs)) await deps.artifacts.fetchTo(ref, join(workDir, 'inputs', name));

    const log = deps.logs.writer(runId, step.id);
    const tail: string[] = [];
    log.write('stderr', `[sluice] attempt ${attempt} of step ${step.id} on ${executorName} (${step.image})`);
    const beat = setInterval(() => ctx.heartbeat({ phase: 'running' }), HEARTBEAT_MS);
    let result;
    try {
      result = await executor.run({
        runId, stepId: step.id, attempt, image: step.image, command: step.command, args: step.args, env: step.env,
        params, workDir, inputNames: Object.keys(inputs), outputNames: step.outputs, resources: step.resources,
        timeoutMs: step.timeoutMs, signal: ctx.cancellationSignal,
        onLog: (stream, line) => {
          log.write(stream, line);
          tail.push(line);
          if (tail.length > TAIL_LINES) tail.shift();
        },
      });
    } catch (err) {
      if (ctx.cancellationSignal.aborted) {
        await upsertStep(deps.db, { ...base, status: 'cancelled', error: 'cancelled' });
        throw new CancelledFailure('step cancelled; its container was stopped and removed');
      }
      if (err instanceof ExecutorError) {
        await upsertStep(deps.db, { ...base, status: 'failed', error: err.message });
        throw executorFailure(err);
      }
      throw err;
    } finally {
      clearInterval(beat);
      await log.close();
    }

    const outDir = join(workDir, 'outputs');
    // The step's own retry budget counts only its own failures; a worker that died mid-step
    // (heartbeat timeout) is retried by Temporal without spending it.
    const stepFailure = async (why: string, type: FailureType) => {
      const failures = await countStepFailure(deps.db, runId, step.id);
      const final = failures >= step.retry.maximumAttempts;
      await upsertStep(deps.db, { ...base, status: final ? 'failed' : 'running', error: `attempt ${attempt}: ${why}` });
      const message = `${why}${tail.length ? `; last output:\n${tail.join('\n')}` : ''}`;
      return final ? ApplicationFailure.nonRetryable(message, type) : ApplicationFailure.retryable(message, type);
    };
    if (result.timedOut) throw await stepFailure(`timed out after ${step.timeoutMs} ms; killed`, FailureType.StepTimedOut);
    if (result.exitCode !== 0) throw await stepFailure(`exited with code ${result.exitCode}`, FailureType.StepFailed);
    const missing = await missingOutputs(outDir, step.outputs);
    if (missing.length) throw await stepFailure(`exited 0 but did not write declared output(s): ${missing.join(', ')}`, FailureType.StepFailed);
    const outputs = await collectOutputs(deps, outDir, step.outputs);
    const metrics = await readMetrics(outDir);
    // Independent idempotent writes, side by side on the pool: they sit on every step's
    // critical path, and a retried activity rewrites whatever did not land.
    await Promise.all([
      ...Object.entries(outputs).map(([name, ref]) => recordArtifact(deps.db, ref, { runId, stepId: step.id, name })),
      storeStepCache(deps.db, cacheKey, { runId, stepId: step.id, outputs, metrics }),
      upsertStep(deps.db, { ...base, status: 'succeeded', imageDigest, cacheKey, outputs, metrics }),
      rm(workDir, { recursive: true, force: true }),
    ]);
    return {
      status: 'succeeded', outputs, metrics, attempt, imageDigest, cacheKey,
      reattached: result.reattached, durationMs: Date.now() - started, runMs: result.durationMs,
    };
  };
}
