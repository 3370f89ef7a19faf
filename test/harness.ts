import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { ActivityDeps } from '../activities/deps.js';
import { DockerExecutor, ProcessExecutor } from '../activities/executors/index.js';
import { LocalArtifactStore } from '../core/artifacts/local.js';
import type { ArtifactStore } from '../core/artifacts/store.js';
import { openDb, type Db } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { FileLogStore } from '../core/logs/index.js';
import { registryResolvers } from '../core/registry/resolvers.js';
import { compilePlan, parsePipelineSpec, resolveParams, type Plan } from '../core/pipeline/index.js';
import { createWorker, workflowsPath } from '../workers/worker.js';
import type { RunPipelineInput, RunProgress } from '../core/runs/contract.js';
import { uniqueId } from './services.js';

// Failing steps are expected in tests; the SDK's warnings about them would drown the output.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // Already installed in this test process.
}

const quiet = { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} };
let bundle: Promise<{ code: string }> | undefined;

/** The workflow bundle, built once per test file. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: quiet });
  return bundle;
}

export interface Harness {
  client: Client;
  db: Db;
  deps: ActivityDeps;
  dir: string;
  taskQueue: string;
  newWorker(overrides?: Partial<ActivityDeps>): Promise<Worker>;
  /** Creates a worker and runs it until close(). */
  startWorker(overrides?: Partial<ActivityDeps>): Promise<Worker>;
  /** Registers something close() must shut down first (last registered, first closed). */
  onClose(fn: () => Promise<unknown>): void;
  close(): Promise<void>;
}

/**
 * Real pieces for a test file: the shared dev server, a migrated DB (PGlite unless given),
 * a local artifact store and log store in a temp dir, docker + process executors, and a
 * task queue of its own.
 */
export async function createHarness(opts: { db?: Db; artifacts?: ArtifactStore; defaultExecutor?: 'docker' | 'process' } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-test-'));
  const db = opts.db ?? (await openDb({}));
  await migrateToLatest(db);
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const native = await NativeConnection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection });
  const taskQueue = uniqueId('tq');
  const deps: ActivityDeps = {
    db,
    artifacts: opts.artifacts ?? new LocalArtifactStore(join(dir, 'artifacts')),
    logs: new FileLogStore(join(dir, 'logs')),
    executors: { process: new ProcessExecutor(), docker: new DockerExecutor() },
    defaultExecutor: opts.defaultExecutor ?? 'process',
    workRoot: join(dir, 'work'),
    resolvers: registryResolvers(db),
  };
  const closers: Array<() => Promise<unknown>> = [];
  const newWorker = async (overrides: Partial<ActivityDeps> = {}) => createWorker({
    connection: native, namespace: 'default', taskQueue, deps: { ...deps, ...overrides },
    maxConcurrentActivities: 20, workflowBundle: await workflowBundle(),
  });
  return {
    client, db, deps, dir, taskQueue, newWorker,
    startWorker: async (overrides) => {
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

/** Parses, resolves and compiles a spec given as YAML, failing the test loudly on any issue. */
export function planFrom(yaml: string, params: Record<string, unknown> = {}, opts: { cache?: boolean } = {}): Plan {
  const parsed = parsePipelineSpec(yaml);
  if (!parsed.ok) throw new Error(`bad spec: ${JSON.stringify(parsed.errors)}`);
  const resolved = resolveParams(parsed.spec, params);
  if (!resolved.ok) throw new Error(`bad params: ${JSON.stringify(resolved.errors)}`);
  return compilePlan(parsed.spec, resolved.params, { version: 1, ...opts });
}

export function runInput(plan: Plan, extra: Partial<RunPipelineInput> = {}): RunPipelineInput {
  return { runId: uniqueId(plan.pipeline), plan, trigger: 'test', ...extra };
}

/** Starts runPipeline and waits; returns the final status or the failure. */
export async function runToEnd(h: Harness, input: RunPipelineInput): Promise<{ status?: RunProgress; error?: WorkflowFailedError }> {
  const handle = await h.client.workflow.start('runPipeline', { taskQueue: h.taskQueue, workflowId: `run-${input.runId}`, args: [input] });
  try {
    return { status: await handle.result() };
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { error: err };
    throw err;
  }
}
