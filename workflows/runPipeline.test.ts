import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { ResolveBaselineInput, ResolveBaselineOutput } from '../activities/kinds/evaluate.js';
import type { ArtifactRef } from '../core/artifacts/store.js';
import type { Plan } from '../core/pipeline/plan.js';
import type { ExecuteStepInput, RunPipelineInput, RunProgress, RunRecord, StepResult } from '../core/runs/contract.js';
import { workflowIdFor } from '../core/runs/ids.js';
import { workflowBundle } from '../test/support/harness.js';
import { uniqueId } from '../test/support/services.js';
import { installQuietTemporalRuntime } from '../test/support/temporal-runtime.js';
import { waitFor } from '../test/support/wait.js';
import { planFrom } from '../test/support/workflow-runs.js';
import { runPipeline, statusQuery } from './runPipeline.js';

interface Call {
  input: ExecuteStepInput;
  signal: AbortSignal;
  settle(r: () => StepResult): void;
}

/** Fake activities the test steers: each executeStep waits until the test succeeds or fails it. */
class FakeActivities {
  readonly started: string[] = [];
  readonly inFlight = new Map<string, Call>();
  readonly cancelled: string[] = [];
  readonly records: RunRecord[] = [];
  maxInFlight = 0;

  readonly activities = {
    executeStep: async (input: ExecuteStepInput): Promise<StepResult> => {
      const ctx = Context.current();
      const id = input.step.id;
      const outcome = new Promise<StepResult>((resolve, reject) => {
        const settle = (r: () => StepResult) => {
          try {
            resolve(r());
          } catch (err) {
            reject(err);
          }
        };
        this.inFlight.set(id, { input, signal: ctx.cancellationSignal, settle });
      });
      this.started.push(id);
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight.size);
      // Cancellation reaches an activity through its heartbeats.
      const beat = setInterval(() => ctx.heartbeat(), 50);
      try {
        return await Promise.race([outcome, ctx.cancelled]);
      } catch (err) {
        if (err instanceof CancelledFailure) this.cancelled.push(id);
        throw err;
      } finally {
        clearInterval(beat);
        this.inFlight.delete(id);
      }
    },
    recordRun: async (r: RunRecord): Promise<void> => {
      this.records.push(r);
    },
    resolveBaseline: async (i: ResolveBaselineInput): Promise<ResolveBaselineOutput> => this.baseline(i),
  };

  /** What an evaluate step's baseline resolves to. */
  baseline: (i: ResolveBaselineInput) => ResolveBaselineOutput = (i) => ({
    found: false,
    reason: `${i.uri} does not exist yet`,
  });

  async running(id: string): Promise<Call> {
    return waitFor(`step ${id} to run`, () => this.inFlight.get(id));
  }

  async succeed(id: string, metrics: Record<string, number> = {}, outputs: Record<string, ArtifactRef> = {}) {
    (await this.running(id)).settle(() => ({ status: 'succeeded', outputs, metrics, attempt: 1, durationMs: 1 }));
  }

  async fail(id: string, message: string) {
    (await this.running(id)).settle(() => {
      throw ApplicationFailure.nonRetryable(message, 'StepFailed');
    });
  }

  lastRecord(): RunRecord {
    return this.records.at(-1)!;
  }
}

let client: Client;
let connection: Connection;
let native: NativeConnection;

beforeAll(async () => {
  installQuietTemporalRuntime();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  await native?.close();
});

/** Runs `body` against a worker of its own (task queue included) whose activities are `fake`'s. */
async function withWorker<T>(fake: FakeActivities, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueId('tq-mocked');
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: fake.activities,
    // The step heartbeat timeout is 15 s; heartbeats (and with them cancellations) would otherwise wait 12 s.
    maxHeartbeatThrottleInterval: '50ms',
  });
  return worker.runUntil(body(taskQueue));
}

function start(
  taskQueue: string,
  plan: Plan,
  extra: Partial<RunPipelineInput> = {},
): Promise<WorkflowHandle<typeof runPipeline>> {
  const runId = uniqueId(plan.pipeline);
  return client.workflow.start(runPipeline, {
    taskQueue,
    workflowId: workflowIdFor(runId),
    args: [{ runId, plan, trigger: 'test', ...extra }],
  });
}

async function failureOf(handle: WorkflowHandle): Promise<Error | undefined> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause;
}

const states = (p: RunProgress) => Object.fromEntries(p.steps.map((s) => [s.id, s.state]));

function pipeline(steps: string, settings = 'parallelism: 4'): Plan {
  return planFrom(`
apiVersion: sluice/v1
name: mocked
params:
  deploy: { type: boolean, default: false }
settings: { ${settings} }
steps:
${steps
  .trim()
  .split('\n')
  .map((l) => `  - ${l.trim()}`)
  .join('\n')}
`);
}

describe('runPipeline with mocked activities', () => {
  it("never runs more steps at once than the plan's parallelism", async () => {
    const fake = new FakeActivities();
    const plan = pipeline(
      ['a', 'b', 'c', 'd', 'e'].map((id) => `{ id: ${id}, image: x }`).join('\n'),
      'parallelism: 2',
    );
    const result = await withWorker(fake, async (tq) => {
      const handle = await start(tq, plan);
      for (const id of ['a', 'b', 'c', 'd', 'e']) await fake.succeed(id);
      return handle.result();
    });
    expect(result.state).toBe('succeeded');
    expect(fake.started).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(fake.maxInFlight).toBe(2);
  });

  it('answers the status query while the run goes on', async () => {
    const fake = new FakeActivities();
    const plan = pipeline('{ id: train, image: x }\n{ id: report, image: x, dependsOn: [train] }');
    await withWorker(fake, async (tq) => {
      const handle = await start(tq, plan);
      await fake.running('train');
      const early = await handle.query(statusQuery);
      expect(early).toMatchObject({ state: 'running', pipeline: 'mocked', version: 1 });
      expect(states(early)).toEqual({ train: 'running', report: 'pending' });
      await fake.succeed('train', { accuracy: 0.9 });
      await fake.running('report');
      const later = await handle.query(statusQuery);
      expect(states(later)).toEqual({ train: 'succeeded', report: 'running' });
      expect(later.steps[0]).toMatchObject({
        metrics: { accuracy: 0.9 },
        startedAt: expect.any(String),
        finishedAt: expect.any(String),
      });
      await fake.succeed('report');
      expect((await handle.result()).state).toBe('succeeded');
    });
  });

  it('skips a false `when` and everything downstream; `when` reads upstream metrics', async () => {
    const fake = new FakeActivities();
    const plan = pipeline(`
      { id: train, image: x }
      { id: deploy, image: x, when: "steps.train.metrics.accuracy >= 0.9" }
      { id: announce, image: x, dependsOn: [deploy] }
      { id: retrain, image: x, when: "steps.train.metrics.accuracy < 0.9" }
      { id: publish, image: x, when: params.deploy }`);
    const result = await withWorker(fake, async (tq) => {
      const handle = await start(tq, plan);
      await fake.succeed('train', { accuracy: 0.8 });
      await fake.succeed('retrain');
      return handle.result();
    });
    expect(states(result)).toEqual({
      train: 'succeeded',
      deploy: 'skipped',
      announce: 'skipped',
      retrain: 'succeeded',
      publish: 'skipped',
    });
    expect(fake.started).toEqual(['train', 'retrain']);
    expect(fake.lastRecord()).toMatchObject({ state: 'succeeded' });
    // Skipped steps ran no activity: the run's final record projects them.
    expect(Object.fromEntries(fake.lastRecord().steps.map((s) => [s.id, s.state]))).toEqual({
      deploy: 'skipped',
      announce: 'skipped',
      publish: 'skipped',
    });
  });

  it('reuses the results a retry carries over instead of running those steps', async () => {
    const fake = new FakeActivities();
    const data: ArtifactRef = { uri: 'file:///store/data', sha256: 'a'.repeat(64), size: 4, kind: 'file' };
    const plan = pipeline(
      '{ id: prep, image: x, outputs: [data.csv] }\n{ id: train, image: x, inputs: { data.csv: steps.prep.outputs.data.csv } }',
    );
    const reuse = {
      prep: {
        status: 'succeeded' as const,
        outputs: { 'data.csv': data },
        metrics: { rows: 4 },
        attempt: 1,
        durationMs: 1,
        cachedFromRun: 'earlier',
      },
    };
    const result = await withWorker(fake, async (tq) => {
      const handle = await start(tq, plan, { reuse });
      const train = await fake.running('train');
      expect(train.input.inputs).toEqual({ 'data.csv': data });
      await fake.succeed('train');
      return handle.result();
    });
    expect(fake.started).toEqual(['train']);
    expect(result.steps[0]).toMatchObject({
      id: 'prep',
      state: 'cached',
      cacheHit: true,
      cachedFromRun: 'earlier',
      metrics: { rows: 4 },
    });
    expect(fake.lastRecord().steps).toEqual([
      {
        id: 'prep',
        state: 'cached',
        outputs: { 'data.csv': data },
        metrics: { rows: 4 },
        cachedFromRun: 'earlier',
        attempt: 1,
        finishedAt: expect.any(String),
      },
    ]);
  });

  it('an evaluate step runs the candidate and the pinned baseline side by side, and a failed one fails the step', async () => {
    const fake = new FakeActivities();
    fake.baseline = () => ({ found: true, model: 'wine', version: 3, uri: 'models:/wine/3' });
    const plan = pipeline(`
      { id: evaluate, kind: evaluate, image: x, command: [score], model: "models:/wine/4", data: "datasets:/wine/1", baseline: "models:/wine@champion" }
      { id: gate, kind: gate, metricsFrom: evaluate, checks: [{ metric: accuracy, minGain: 0.01 }] }`);
    const result = await withWorker(fake, async (tq) => {
      const handle = await start(tq, plan);
      const [candidate, baseline] = [await fake.running('evaluate'), await fake.running('evaluate.baseline')];
      expect(candidate.input).toMatchObject({
        params: {},
        inputs: { model: { uri: 'models:/wine/4' }, data: { uri: 'datasets:/wine/1' } },
        step: { id: 'evaluate', kind: 'container', command: ['score'], outputs: ['metrics.json'] },
      });
      expect(baseline.input).toMatchObject({
        params: {},
        inputs: { model: { uri: 'models:/wine/3' }, data: { uri: 'datasets:/wine/1' } },
        step: { id: 'evaluate.baseline', kind: 'container', command: ['score'] },
      });
      // The run's params (deploy) stay out of the evaluations: their cache key is model, data, image and command.
      expect([candidate.input.params, baseline.input.params]).toEqual([{}, {}]);
      await fake.succeed('evaluate.baseline', { accuracy: 0.9 });
      await fake.succeed('evaluate', { accuracy: 0.85 });
      return handle.result();
    });
    expect(result).toMatchObject({ state: 'succeeded', outcome: 'not-promoted' });
    expect(result.steps[0]).toMatchObject({
      metrics: { accuracy: 0.85 },
      details: {
        baseline: { uri: 'models:/wine@champion', model: 'wine', version: 3 },
        baselineMetrics: { accuracy: 0.9 },
        baselineCached: false,
      },
    });
    expect(result.outcomeReason).toContain('over baseline 0.9');

    const failing = new FakeActivities();
    failing.baseline = fake.baseline;
    await withWorker(failing, async (tq) => {
      const handle = await start(tq, plan);
      await failing.running('evaluate');
      await failing.fail('evaluate.baseline', 'exited with code 2');
      // The candidate is not left behind: the step settles once both have.
      await failing.succeed('evaluate', { accuracy: 0.85 });
      expect(await failureOf(handle)).toMatchObject({
        message: 'step evaluate failed: evaluation of the baseline models:/wine/3 failed: exited with code 2',
      });
    });
  });

  it('onFailure: cancel stops the running siblings and names the failed step', async () => {
    const fake = new FakeActivities();
    const plan = pipeline(
      '{ id: bad, image: x }\n{ id: slow, image: x }\n{ id: after, image: x, dependsOn: [bad] }',
      'onFailure: cancel',
    );
    await withWorker(fake, async (tq) => {
      const handle = await start(tq, plan);
      const slow = await fake.running('slow');
      await fake.fail('bad', 'exited with code 3');
      const cause = await failureOf(handle);
      expect(cause).toMatchObject({
        message: 'step bad failed: exited with code 3',
        type: 'PipelineFailed',
        details: [{ step: 'bad' }],
      });
      expect(slow.signal.aborted).toBe(true);
      expect(fake.cancelled).toEqual(['slow']);
      expect(states(await handle.query(statusQuery))).toEqual({ bad: 'failed', slow: 'cancelled', after: 'cancelled' });
    });
    expect(fake.lastRecord()).toMatchObject({
      state: 'failed',
      error: 'step bad failed: exited with code 3',
      steps: [{ id: 'after', state: 'cancelled' }],
    });
  });

  it('onFailure: wait lets the running siblings finish but starts nothing new', async () => {
    const fake = new FakeActivities();
    const plan = pipeline(
      '{ id: bad, image: x }\n{ id: slow, image: x }\n{ id: after, image: x, dependsOn: [bad] }',
      'onFailure: wait',
    );
    await withWorker(fake, async (tq) => {
      const handle = await start(tq, plan);
      const slow = await fake.running('slow');
      await fake.fail('bad', 'exited with code 3');
      await waitFor('bad to be failed', async () => states(await handle.query(statusQuery)).bad === 'failed');
      expect(states(await handle.query(statusQuery))).toEqual({ bad: 'failed', slow: 'running', after: 'pending' });
      expect(slow.signal.aborted).toBe(false);
      await fake.succeed('slow');
      expect(await failureOf(handle)).toMatchObject({ message: 'step bad failed: exited with code 3' });
      expect(states(await handle.query(statusQuery))).toEqual({ bad: 'failed', slow: 'succeeded', after: 'cancelled' });
    });
    expect(fake.cancelled).toEqual([]);
    expect(fake.started).toEqual(['bad', 'slow']);
  });

  it('cancelling the run cancels running steps, marks pending ones cancelled and records it', async () => {
    const fake = new FakeActivities();
    const plan = pipeline('{ id: first, image: x }\n{ id: second, image: x, dependsOn: [first] }');
    await withWorker(fake, async (tq) => {
      const handle = await start(tq, plan);
      const first = await fake.running('first');
      await handle.cancel();
      expect(await failureOf(handle)).toBeInstanceOf(CancelledFailure);
      expect(first.signal.aborted).toBe(true);
      expect(states(await handle.query(statusQuery))).toEqual({ first: 'cancelled', second: 'cancelled' });
    });
    expect(fake.cancelled).toEqual(['first']);
    expect(fake.records.map((r) => r.state)).toEqual(['running', 'cancelled']);
    // Never started: no start time, attempt 0.
    expect(fake.lastRecord().steps).toEqual([
      { id: 'second', state: 'cancelled', outputs: {}, metrics: {}, attempt: 0 },
    ]);
  });
});
