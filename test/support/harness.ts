import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker } from '@temporalio/worker';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import type { ActivityDeps } from '../../activities/deps.js';
import { DockerExecutor, ProcessExecutor } from '../../activities/executors/index.js';
import { LocalArtifactStore } from '../../core/artifacts/local.js';
import type { ArtifactStore } from '../../core/artifacts/store.js';
import { openDb, type Db } from '../../core/db/connect.js';
import { migrateToLatest } from '../../core/db/migrate.js';
import { FileLogStore } from '../../core/logs/index.js';
import { OPEN_POLICY, type StepPolicy } from '../../core/policy/schema.js';
import { registryResolvers } from '../../core/registry/resolvers.js';
import { createWorker, workflowsPath } from '../../workers/worker.js';
import { quietSdkLogger, installQuietTemporalRuntime } from './temporal-runtime.js';
import { uniqueId } from './services.js';

let bundle: Promise<{ code: string }> | undefined;

/** The workflow bundle, built once per test file. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: quietSdkLogger });
  return bundle;
}

export interface HarnessOptions {
  /** A database of the caller's (it stays open after close()); a fresh PGlite otherwise. */
  db?: Db;
  artifacts?: ArtifactStore;
  /** The executor for steps that name none. `docker` also builds a DockerExecutor; `process` is always there. */
  defaultExecutor?: 'docker' | 'process';
  /** A Temporal server of the test's own (an outage test kills it); the shared dev server otherwise. */
  temporalAddress?: string;
  /** The worker's step policy; OPEN_POLICY otherwise. */
  policy?: StepPolicy;
}

export interface Harness {
  client: Client;
  db: Db;
  deps: ActivityDeps;
  dir: string;
  taskQueue: string;
  newWorker(overrides?: Partial<ActivityDeps>): Promise<Worker>;
  /** Creates a worker in this test process and runs it until close(). */
  startInProcessWorker(overrides?: Partial<ActivityDeps>): Promise<Worker>;
  /** Registers something close() must shut down first (last registered, first closed). */
  onClose(fn: () => Promise<unknown>): void;
  close(): Promise<void>;
}

function executorsFor(defaultExecutor: 'docker' | 'process'): ActivityDeps['executors'] {
  return { process: new ProcessExecutor(), ...(defaultExecutor === 'docker' ? { docker: new DockerExecutor() } : {}) };
}

/**
 * Real pieces for a test file: the shared dev server, a migrated DB (PGlite unless given),
 * a local artifact store and log store in a temp dir, the executors asked for, and a task
 * queue of its own.
 */
export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  installQuietTemporalRuntime();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-test-'));
  const db = opts.db ?? (await openDb({}));
  await migrateToLatest(db);
  const address = opts.temporalAddress ?? inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = uniqueId('tq');
  const defaultExecutor = opts.defaultExecutor ?? 'process';
  const deps: ActivityDeps = {
    db,
    artifacts: opts.artifacts ?? new LocalArtifactStore(join(dir, 'artifacts')),
    logs: new FileLogStore(join(dir, 'logs')),
    executors: executorsFor(defaultExecutor),
    defaultExecutor,
    // Tests of everything else may use any executor; the policy's own tests narrow it.
    policy: opts.policy ?? OPEN_POLICY,
    workRoot: join(dir, 'work'),
    resolvers: registryResolvers(db),
  };
  const closers: Array<() => Promise<unknown>> = [];
  const newWorker = async (overrides: Partial<ActivityDeps> = {}) =>
    createWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      deps: { ...deps, ...overrides },
      maxConcurrentActivities: 20,
      workflowBundle: await workflowBundle(),
    });
  return {
    client,
    db,
    deps,
    dir,
    taskQueue,
    newWorker,
    startInProcessWorker: async (overrides) => {
      const worker = await newWorker(overrides);
      const running = worker.run();
      closers.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      });
      return worker;
    },
    onClose: (fn) => closers.push(fn),
    close: async () => {
      for (const fn of closers.reverse()) await fn();
      await connection.close();
      await native.close();
      if (!opts.db) await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A harness for the enclosing describe block: created in beforeAll (with an in-process worker
 * when `worker` is set), closed in afterAll. The returned object is filled in once beforeAll ran,
 * so read its fields inside tests and later hooks, never while the block is being defined.
 */
export function useHarness(opts: HarnessOptions & { worker?: boolean } = {}): Harness {
  const { worker, ...harness } = opts;
  const fixture = {} as Harness;
  beforeAll(async () => {
    Object.assign(fixture, await createHarness(harness));
    if (worker) await fixture.startInProcessWorker();
  });
  afterAll(async () => {
    await fixture.close?.();
  });
  return fixture;
}
