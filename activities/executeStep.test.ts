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
import { OPEN_POLICY, type StepPolicy } from '../core/policy/schema.js';
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
  release?: (runId: string, stepId: string) => Promise<void>;
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
    policy: OPEN_POLICY,
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
  policy: StepPolicy = OPEN_POLICY,
) {
  const executeStep = executeStepActivity({ ...base, policy, executors: { process: executor } });
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
          const kill = () => {
            aborted = true;
            reject(new Error('killed'));
          };
          // The cancel may land while the fake is still creating outputs/ (a loaded machine).
          if (req.signal.aborted) kill();
          else req.signal.addEventListener('abort', kill);
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

  it("refuses a step the worker's policy does not allow before fetching or running anything, naming each rule", async () => {
    const executor = new FakeExecutor(writeModel);
    const input = await newRun(trainStep("\n    network: host\n    inputs: { data: 'file:///nonexistent/x' }"));
    const strict: StepPolicy = { ...OPEN_POLICY, executors: ['docker'] };
    const env = new MockActivityEnvironment({ attempt: 1 }, { logger: quietSdkLogger });
    await expect(execute(executor, input, 1, env, strict)).rejects.toMatchObject({
      type: FailureType.PolicyViolation,
      nonRetryable: true,
      message: expect.stringMatching(/rule "executor".*rule "network"/),
    });
    expect(executor.calls).toEqual([]);
    expect(await stepRow(input.runId)).toMatchObject({ status: 'failed', error: expect.stringContaining('policy') });
  });

  it("gives a step that asks for no limits the policy's maximums", async () => {
    const executor = new FakeExecutor(writeModel);
    const input = await newRun(trainStep('\n    resources: { cpu: 0.5 }'));
    const env = new MockActivityEnvironment({ attempt: 1 }, { logger: quietSdkLogger });
    await execute(executor, input, 1, env, { ...OPEN_POLICY, maxCpu: 2, maxMemoryMb: 256 });
    expect(executor.calls[0]!.resources).toEqual({ cpu: 0.5, memoryMb: 256 });
  });
});

describe('executeStep: a step that finished is never run again', () => {
  /** A store whose uploads fail with ECONNREFUSED while `down` is set. */
  function flakyStore(down: { failures: number }) {
    const store = new LocalArtifactStore(join(dir, 'artifacts'));
    const putPath = store.putPath.bind(store);
    store.putPath = async (path) => {
      if (down.failures-- > 0)
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      return putPath(path);
    };
    return store;
  }
  const run = (executor: FakeExecutor, input: ExecuteStepInput, attempt: number, deps: Partial<ActivityDeps>) => {
    const executeStep = executeStepActivity({ ...base, ...deps, executors: { process: executor } });
    const env = new MockActivityEnvironment({ attempt }, { logger: quietSdkLogger });
    return env.run<[ExecuteStepInput], StepResult, typeof executeStep>(executeStep, input);
  };
  const quick = { initialMs: 10, maxIntervalMs: 40, budgetMs: 200 };

  it('a later attempt returns the recorded result instead of running the step again', async () => {
    const executor = new FakeExecutor(writeModel);
    const input = await newRun(trainStep());
    const first = await execute(executor, input, 1);
    const again = await execute(executor, input, 2);
    expect(executor.calls).toHaveLength(1);
    expect(again).toMatchObject({ status: 'succeeded', outputs: first.outputs, attempt: 2, reattached: true });
  });

  it('retries a failing store within the attempt, and a later attempt stores the outputs left on disk', async () => {
    const released: string[] = [];
    const executor = new FakeExecutor(writeModel);
    executor.release = async (runId: string) => void released.push(runId);

    const blip = await newRun(trainStep());
    const ok = await run(executor, blip, 1, { artifacts: flakyStore({ failures: 2 }), storeRetry: quick });
    expect(ok.status).toBe('succeeded');
    expect(released).toEqual([blip.runId]);

    const outage = await newRun(trainStep());
    const down = { failures: 1_000 };
    await expect(run(executor, outage, 1, { artifacts: flakyStore(down), storeRetry: quick })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    expect(released).toEqual([blip.runId]); // the container stays for the next attempt
    down.failures = 0;
    const adopted = await run(executor, outage, 2, { artifacts: flakyStore(down), storeRetry: quick });
    expect(executor.calls).toHaveLength(2); // one per run: the second attempt ran nothing
    expect(adopted).toMatchObject({ status: 'succeeded', attempt: 2, reattached: true });
    expect(await base.artifacts.exists(adopted.outputs['model.txt']!.uri)).toBe(true);
    expect(released).toEqual([blip.runId, outage.runId]);
    expect(await stepRow(outage.runId)).toMatchObject({ status: 'succeeded' });
  });
});
