import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../core/artifacts/local.js';
import { openDb, type Db } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { FailureType } from '../core/errors.js';
import { FileLogStore } from '../core/logs/index.js';
import type { ContainerPlanStep } from '../core/pipeline/plan.js';
import type { ExecuteStepInput, StepResult } from '../core/runs/contract.js';
import { getRunSteps, upsertRun } from '../core/runs/projection.js';
import { uniqueId } from '../test/support/services.js';
import { quietSdkLogger } from '../test/support/temporal-runtime.js';
import { waitFor } from '../test/support/wait.js';
import { planFrom } from '../test/support/workflow-runs.js';
import type { ActivityDeps } from './deps.js';
import { executeStepActivity } from './executeStep.js';
import { ExecutorError, type Executor, type StepRunRequest, type StepRunResult } from './executors/types.js';

/** Stands in for docker/process: runs `behave`, which writes outputs into the work directory itself. */
class FakeExecutor implements Executor {
  readonly name = 'process' as const;
  readonly calls: StepRunRequest[] = [];
  imageError?: ExecutorError;
  constructor(
    private readonly behave: (
      req: StepRunRequest,
      outDir: string,
    ) => Promise<Partial<StepRunResult>> | Partial<StepRunResult> = () => ({}),
  ) {}

  async resolveImage(): Promise<string | undefined> {
    if (this.imageError) throw this.imageError;
    return 'sha256:fake-image';
  }

  async run(req: StepRunRequest): Promise<StepRunResult> {
    this.calls.push(req);
    const outDir = join(req.workDir, 'outputs');
    await mkdir(outDir, { recursive: true });
    return { exitCode: 0, timedOut: false, reattached: false, durationMs: 1, ...(await this.behave(req, outDir)) };
  }
}

const writeModel = async (_req: StepRunRequest, outDir: string) => {
  await writeFile(join(outDir, 'model.txt'), 'weights');
  return {};
};

let db: Db;
let dir: string;
let base: Omit<ActivityDeps, 'executors'>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-execute-step-'));
  db = await openDb({});
  await migrateToLatest(db);
  base = {
    db,
    artifacts: new LocalArtifactStore(join(dir, 'artifacts')),
    logs: new FileLogStore(join(dir, 'logs')),
    defaultExecutor: 'process',
    workRoot: join(dir, 'work'),
  };
});
afterAll(async () => {
  await db?.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** One `train` step, unique to the test so cache keys never meet across tests. */
function trainStep(extra = ''): ContainerPlanStep {
  return planFrom(`
apiVersion: sluice/v1
name: fake
steps:
  - id: train
    image: fake
    env: { CASE: ${uniqueId('case')} }
    outputs: [model.txt]${extra}
`).steps[0] as ContainerPlanStep;
}

async function newRun(step: ContainerPlanStep): Promise<ExecuteStepInput> {
  const runId = uniqueId('run');
  await upsertRun(db, {
    id: runId,
    workflowId: `run-${runId}`,
    pipeline: 'fake',
    version: 1,
    params: {},
    trigger: 'test',
    status: 'running',
  });
  return { runId, pipeline: 'fake', step, params: {}, inputs: {} };
}

function execute(
  executor: FakeExecutor,
  input: ExecuteStepInput,
  attempt = 1,
  env = new MockActivityEnvironment({ attempt }, { logger: quietSdkLogger }),
) {
  const executeStep = executeStepActivity({ ...base, executors: { process: executor } });
  return env.run<[ExecuteStepInput], StepResult, typeof executeStep>(executeStep, input);
}

async function stepRow(runId: string) {
  return (await getRunSteps(db, runId))[0]!;
}

describe('executeStep with a fake executor', () => {
  it('runs a step, stores its outputs and reads metrics.json', async () => {
    const executor = new FakeExecutor(async (req, outDir) => {
      await writeModel(req, outDir);
      await writeFile(join(outDir, 'metrics.json'), '{"accuracy": 0.93, "loss": 0.2}');
      return { durationMs: 42 };
    });
    const input = await newRun(trainStep());
    const result = await execute(executor, input);
    expect(result).toMatchObject({
      status: 'succeeded',
      metrics: { accuracy: 0.93, loss: 0.2 },
      imageDigest: 'sha256:fake-image',
      runMs: 42,
    });
    expect(await base.artifacts.exists(result.outputs['model.txt']!.uri)).toBe(true);
    expect(await stepRow(input.runId)).toMatchObject({ status: 'succeeded', metrics: { accuracy: 0.93, loss: 0.2 } });
  });

  it('serves a second identical step from the cache without calling the executor', async () => {
    const executor = new FakeExecutor(writeModel);
    const step = trainStep();
    const first = await newRun(step);
    const ran = await execute(executor, first);
    const second = await newRun(step);
    const hit = await execute(executor, second);
    expect(executor.calls).toHaveLength(1);
    expect(hit).toMatchObject({
      status: 'cached',
      cachedFromRun: first.runId,
      cacheKey: ran.cacheKey,
      outputs: ran.outputs,
    });
    expect(await stepRow(second.runId)).toMatchObject({ status: 'cached', cached_from_run: first.runId });
  });

  it('fails a step that exits 0 without writing a declared output, naming it', async () => {
    const input = await newRun(trainStep());
    await expect(execute(new FakeExecutor(), input)).rejects.toMatchObject({
      type: FailureType.StepFailed,
      nonRetryable: true,
      message: expect.stringContaining('did not write declared output(s): model.txt'),
    });
    expect(await stepRow(input.runId)).toMatchObject({ status: 'failed', error: expect.stringContaining('model.txt') });
  });

  it("spends the step's own retry budget per run and step, then fails for good", async () => {
    const step = trainStep('\n    retries: { attempts: 2 }');
    const executor = new FakeExecutor((req) => {
      req.onLog('stderr', 'out of memory');
      return { exitCode: 3 };
    });
    const input = await newRun(step);
    const first = await execute(executor, input, 1).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ApplicationFailure);
    expect(first).toMatchObject({
      type: FailureType.StepFailed,
      nonRetryable: false,
      message: expect.stringContaining('out of memory'),
    });
    expect(await stepRow(input.runId)).toMatchObject({ status: 'running', failures: 1 });

    // Another run's failures are its own: its first failure is retryable too.
    const other = await newRun(step);
    await expect(execute(executor, other, 1)).rejects.toMatchObject({ nonRetryable: false });

    await expect(execute(executor, input, 2)).rejects.toMatchObject({
      type: FailureType.StepFailed,
      nonRetryable: true,
      message: expect.stringContaining('exited with code 3'),
    });
    expect(await stepRow(input.runId)).toMatchObject({
      status: 'failed',
      failures: 2,
      error: 'attempt 2: exited with code 3',
    });
  });

  it('stops the step when the activity is cancelled and records it cancelled', async () => {
    let aborted = false;
    const executor = new FakeExecutor(
      (req) =>
        new Promise((_resolve, reject) => {
          req.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('killed'));
          });
        }),
    );
    const input = await newRun(trainStep());
    const env = new MockActivityEnvironment({}, { logger: quietSdkLogger });
    const running = execute(executor, input, 1, env);
    await waitFor('the executor to start', () => executor.calls.length === 1);
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect(aborted).toBe(true);
    expect(await stepRow(input.runId)).toMatchObject({ status: 'cancelled' });
  });

  it('blames an unreachable engine on the infrastructure: retryable, and no step budget spent', async () => {
    const executor = new FakeExecutor();
    executor.imageError = new ExecutorError('EngineUnavailable', 'Docker engine is not reachable: ECONNREFUSED');
    const input = await newRun(trainStep());
    await expect(execute(executor, input)).rejects.toMatchObject({
      type: FailureType.EngineUnavailable,
      nonRetryable: false,
    });
    expect(executor.calls).toHaveLength(0);
    expect(await stepRow(input.runId)).toMatchObject({ failures: 0 });
  });
});
