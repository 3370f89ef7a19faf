import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDb, type Db } from '../core/db/connect.js';
import { listenForRegistryChanges, type ChangeListener } from '../core/registry/change-feed.js';
import { createApi, expectProblem, type ApiHarness } from './support/api.js';
import { apply, startRun, waitForRun } from './support/api-runs.js';
import { createHarness, type Harness } from './support/harness.js';
import { startPgCluster, type PgCluster } from './support/pg-cluster.js';
import { uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';
import { spawnWorkerProcess } from './support/worker-process.js';

/** `before` leaves an output and a metric; `hold` counts its starts on the host and runs until `release` exists. */
function holdPipeline(name: string, counter: string, release: string): string {
  return `
apiVersion: sluice/v1
name: ${name}
steps:
  - id: before
    image: none
    command: [sh, -c, 'echo kept > "$SLUICE_OUTPUTS_DIR/text"; echo "{\\"n\\": 7}" > "$SLUICE_OUTPUTS_DIR/metrics.json"']
    outputs: [text]
  - id: hold
    image: none
    command: [sh, -c, 'echo start >> "$COUNTER"; while [ ! -f "$RELEASE" ]; do sleep 0.2; done; echo done > "$SLUICE_OUTPUTS_DIR/out"']
    env: { COUNTER: "${counter}", RELEASE: "${release}" }
    inputs: { text: steps.before.outputs.text }
    outputs: [out]
`;
}

const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;

describe('outage: PostgreSQL restarted while a step runs', () => {
  let cluster: PgCluster;
  let db: Db;
  let h: Harness;
  let api: ApiHarness;
  let worker: ChildProcess;
  let feed: ChangeListener;
  let dir: string;
  const lost: string[] = [];

  beforeAll(async () => {
    cluster = await startPgCluster();
    dir = await mkdtemp(join(tmpdir(), 'sluice-outage-pg-'));
    db = await openDb({ databaseUrl: cluster.url, onConnectionLost: (err) => lost.push(err.message) });
    h = await createHarness({ db });
    // DATABASE_URL also gives the API its registry change feed (a LISTEN connection) on this cluster.
    api = await createApi(h, { DATABASE_URL: cluster.url });
    worker = await spawnWorkerProcess({
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: cluster.url,
      SLUICE_DATA_DIR: join(dir, 'worker'),
      SLUICE_EXECUTOR: 'process',
      // A split worker allows no process steps unless configured; its temp data dir is out of a step user's reach.
      SLUICE_POLICY_EXECUTORS: 'process',
      SLUICE_POLICY_ALLOW_ROOT: 'true',
      SLUICE_LOG_LEVEL: 'warn',
    });
    feed = listenForRegistryChanges(cluster.url);
  }, 120_000);

  afterAll(async () => {
    if (worker && alive(worker)) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await feed?.stop();
    await h?.close();
    await db?.destroy();
    await cluster?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const readyz = () => api.app.inject({ method: 'GET', url: '/readyz' });

  /** Stops PostgreSQL, checks what clients see meanwhile, starts it again; returns ms from start to ready. */
  async function outage(mode: 'fast' | 'immediate', runId: string): Promise<number> {
    // A request just before: both pools now hold a connection the shutdown will break.
    expect((await api.call('viewer', { method: 'GET', url: `/v1/runs/${runId}` })).statusCode).toBe(200);
    await cluster.stop(mode);

    const asked = Date.now();
    const during = await api.call('viewer', { method: 'GET', url: `/v1/runs/${runId}` });
    expect(Date.now() - asked, 'a request during the outage answers, not hangs').toBeLessThan(10_000);
    expect(expectProblem(during, 503)).toMatchObject({ type: 'https://sluice.dev/problems/database-unavailable' });
    expect(Number(during.headers['retry-after'])).toBeGreaterThan(0);
    expectProblem(
      await api.call('admin', { method: 'POST', url: '/v1/keys', payload: { name: 'x', role: 'viewer' } }),
      503,
    );

    const down = await readyz();
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({
      status: 'degraded',
      checks: { database: { ok: false }, temporal: { ok: true } },
    });
    expect(down.json().checks.database.error).toBeTruthy();
    await waitFor('the change feed to notice the outage', () => !feed.up);
    expect(alive(worker), 'the worker process survives the outage').toBe(true);

    await cluster.start();
    const started = Date.now();
    await waitFor('/readyz to recover', async () => (await readyz()).statusCode === 200, 60_000);
    await waitFor(
      'the API to read again',
      async () => (await api.call('viewer', { method: 'GET', url: `/v1/runs/${runId}` })).statusCode === 200,
      60_000,
    );
    const recovered = Date.now() - started;
    await waitFor('the change feed to reconnect', () => feed.up, 30_000);
    expect(alive(worker)).toBe(true);
    return recovered;
  }

  it('both processes ride out fast and immediate shutdowns; the step ran once and the run succeeds', async () => {
    const counter = join(dir, 'starts');
    const release = join(dir, 'release');
    const name = uniqueId('outage-pg');
    await apply(api, holdPipeline(name, counter, release));
    const run = await startRun(api, name);
    await waitFor('the hold step to start', () => existsSync(counter), 60_000);
    const before = await waitForRun(api, run.id, (r) => r.steps.find((s) => s.id === 'before')?.status === 'succeeded');
    const eventsBefore = (await api.call('viewer', { method: 'GET', url: '/v1/events' })).json().items as {
      id: unknown;
    }[];
    expect(eventsBefore.length).toBeGreaterThan(0);

    const fast = await outage('fast', run.id);
    const immediate = await outage('immediate', run.id);
    console.log(
      `PostgreSQL outage: ready again ${fast} ms after a fast restart, ${immediate} ms after an immediate one`,
    );
    expect(fast).toBeLessThan(60_000);
    expect(immediate).toBeLessThan(60_000);

    await writeFile(release, '');
    const done = await waitForRun(api, run.id, undefined, 120_000);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(await readFile(counter, 'utf8')).toBe('start\n');
    expect(done.steps.map((s) => [s.id, s.status])).toEqual([
      ['before', 'succeeded'],
      ['hold', 'succeeded'],
    ]);
    // What was acknowledged before the outages is still there.
    const kept = done.steps.find((s) => s.id === 'before')!;
    expect(kept.outputs.text?.uri).toBe(before.steps.find((s) => s.id === 'before')!.outputs.text?.uri);
    expect(kept.metrics).toEqual({ n: 7 });
    const eventsAfter = (await api.call('viewer', { method: 'GET', url: '/v1/events' })).json().items as {
      id: unknown;
    }[];
    expect(eventsAfter.map((e) => e.id)).toEqual(expect.arrayContaining(eventsBefore.map((e) => e.id)));
    expect((await api.call('viewer', { method: 'GET', url: `/v1/pipelines/${name}` })).statusCode).toBe(200);
    expect(alive(worker)).toBe(true);
    // The pools saw their connections die and said so, instead of taking the process down.
    expect(lost.length).toBeGreaterThan(0);
  }, 300_000);
});
