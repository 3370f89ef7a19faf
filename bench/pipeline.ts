// `npm run bench -- pipeline`: orchestration overhead per step (process and docker executors)
// and 200 concurrent 3-step pipelines. Real dev server, real Postgres, the real worker process.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDb } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { compilePlan, parsePipelineSpec, resolveParams, type Plan } from '../core/spec/index.js';
import { resolveTemporalBinary } from '../core/temporal/binary.js';
import { startDevServer } from '../core/temporal/dev-server.js';
import type { RunStatus } from '../workflows/types.js';

const POSTGRES_URL = process.env.SLUICE_TEST_DATABASE_URL ?? 'postgres://sluice:sluice@127.0.0.1:5432/sluice_test';
const workerMain = fileURLToPath(new URL('../workers/worker-main.ts', import.meta.url));
const cores = cpus().length;
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o, cores })}\n`);

function plan(yaml: string): Plan {
  const parsed = parsePipelineSpec(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const params = resolveParams(parsed.spec, {});
  if (!params.ok) throw new Error(JSON.stringify(params.errors));
  return compilePlan(parsed.spec, params.params, { version: 1, cache: false });
}

function sequential(n: number, executor: 'process' | 'docker'): Plan {
  const steps = Array.from({ length: n }, (_, i) => `
  - id: s${i}
    image: ${executor === 'docker' ? 'sluice/busybox:1' : 'none'}
    executor: ${executor}
    command: ['true']${i ? `\n    dependsOn: [s${i - 1}]` : ''}`).join('');
  return plan(`apiVersion: sluice/v1\nname: seq-${executor}\nsettings: { parallelism: 1 }\nsteps:${steps}\n`);
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', workerMain], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('worker ready')) resolve(); });
    proc.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return proc;
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** p50/p95 of the gap between consecutive no-op activities: Temporal's own per-step latency. */
async function temporalFloor(address: string): Promise<{ gapP50Ms: number; gapP95Ms: number }> {
  const connection = await NativeConnection.connect({ address });
  const taskQueue = `bench-floor-${Date.now()}`;
  const worker = await Worker.create({
    connection, taskQueue, activities: { noop: async () => undefined },
    workflowsPath: fileURLToPath(new URL('./floor/workflow.ts', import.meta.url)),
  });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const gaps: number[] = [];
  await worker.runUntil(async () => {
    for (let k = 0; k < 5; k++) {
      const ends: number[] = await client.workflow.execute('activityChain', { taskQueue, workflowId: `${taskQueue}-${k}`, args: [20] });
      gaps.push(...ends.slice(1).map((e, i) => e - ends[i]!));
    }
  });
  await client.connection.close();
  await connection.close();
  return { gapP50Ms: quantile(gaps, 0.5), gapP95Ms: quantile(gaps, 0.95) };
}

export default async function run(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const binary = await resolveTemporalBinary({ progress: () => {} });
  const dev = await startDevServer({ binary, headless: true, detached: false });
  const schema = `bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = await openDb({ databaseUrl: POSTGRES_URL, schema });
  await migrateToLatest(db);
  await db.destroy();
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const connection = await Connection.connect({ address: dev.address });
  const client = new Client({ connection });
  let n = 0;
  const worker = (taskQueue: string) => startWorker({
    SLUICE_TEMPORAL_ADDRESS: dev.address, SLUICE_TASK_QUEUE: taskQueue, DATABASE_URL: POSTGRES_URL,
    SLUICE_DB_SCHEMA: schema, SLUICE_DATA_DIR: dataDir, SLUICE_EXECUTOR: 'auto', SLUICE_WORKER_CONCURRENCY: '100',
  });
  const start = (taskQueue: string, p: Plan) => {
    const runId = `bench-${++n}-${Date.now().toString(36)}`;
    return client.workflow.start('runPipeline', { taskQueue, workflowId: `run-${runId}`, args: [{ runId, plan: p, trigger: 'bench' }] });
  };
  try {
    // What a no-op command costs by itself, outside Sluice.
    const own: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      spawnSync('true');
      own.push(performance.now() - t);
    }
    const ownMs = { process: quantile(own, 0.5), docker: 0 };

    for (const executor of ['process', 'docker'] as const) {
      const tq = `bench-seq-${executor}-${Date.now()}`;
      const w = await worker(tq);
      await (await start(tq, sequential(3, executor))).result(); // warm-up
      const p = sequential(20, executor);
      const t0 = performance.now();
      const status: RunStatus = await (await start(tq, p)).result();
      const totalMs = performance.now() - t0;
      const ends = status.steps.map((s) => Date.parse(s.finishedAt!));
      const per = ends.map((e, i) => (i === 0 ? e - Date.parse(status.steps[0]!.startedAt!) : e - ends[i - 1]!) - ownMs[executor]);
      emit({
        case: `sequential-20-${executor}`, totalMs: Math.round(totalMs), ownCommandMs: Number(ownMs[executor].toFixed(2)),
        overheadP50Ms: Math.round(quantile(per, 0.5)), overheadP95Ms: Math.round(quantile(per, 0.95)),
      });
      w.kill('SIGTERM');
    }

    emit({ case: 'temporal-floor-20', ...(await temporalFloor(dev.address)) });

    const tq = `bench-concurrent-${Date.now()}`;
    const w = await worker(tq);
    const three = plan(`apiVersion: sluice/v1
name: three
steps:
  - { id: a, image: none, executor: process, command: ['true'] }
  - { id: b, image: none, executor: process, command: ['true'], dependsOn: [a] }
  - { id: c, image: none, executor: process, command: ['true'], dependsOn: [b] }
`);
    const t0 = performance.now();
    const handles = await Promise.all(Array.from({ length: 200 }, () => start(tq, three)));
    const results = await Promise.allSettled(handles.map((h) => h.result()));
    const ms = performance.now() - t0;
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    emit({ case: 'concurrent-200x3-process', runs: 200, succeeded: ok, totalMs: Math.round(ms), workerPeakRssMb: Math.round(await peakRssMb(w.pid!)) });
    w.kill('SIGTERM');
  } finally {
    await connection.close();
    await dev.stop();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}
