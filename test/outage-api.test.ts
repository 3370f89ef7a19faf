import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { issueKey } from '../core/access/keys.js';
import { freePort } from '../core/temporal/dev-server.js';
import { killNow, spawnApiProcess } from './support/api-process.js';
import { currentSchema, dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { createHarness, type Harness } from './support/harness.js';
import { testServices, uniqueId } from './support/services.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { waitFor } from './support/wait.js';

/** The API starts runs pending longer than this without a workflow (core/runs/reconcile.ts). */
const RECONCILE_GRACE_MS = 30_000;

describe('outage: the API killed between the run row and the workflow start', () => {
  let dir: string;
  let pg: OpenedDb;
  let h: Harness;
  let proxy: TcpProxy;
  let api: ChildProcess | undefined;
  let env: Record<string, string>;
  let key: string;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-outage-api-'));
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
    h = await createHarness({ db: pg.db });
    await h.startInProcessWorker();
    const schema = await currentSchema(pg.db);
    env = {
      DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: schema,
      SLUICE_TASK_QUEUE: h.taskQueue,
      SLUICE_DATA_DIR: join(dir, 'api'),
      SLUICE_LOG_LEVEL: 'warn',
      SLUICE_RATE_LIMIT_PER_MINUTE: '0',
      // The count step is a local process, which a split API accepts only when its step policy allows it.
      SLUICE_POLICY_EXECUTORS: 'docker,process',
    };
    key = (await issueKey(pg.db, { name: 'outage', role: 'operator' })).key;
    port = await freePort();
  }, 300_000);

  afterAll(async () => {
    if (api) await killNow(api);
    await proxy?.close();
    await h?.close();
    await pg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const call = (method: string, path: string, body?: string, type = 'application/json') =>
    fetch(`http://127.0.0.1:${port}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': type } : {}) },
      body,
    });

  it('a later API start reconciles the stranded run: it runs once and succeeds', async () => {
    // Temporal is reached through a proxy the test can freeze: the start call then hangs after the row.
    proxy = await startTcpProxy(inject('temporalAddress'));
    api = await spawnApiProcess({ ...env, SLUICE_TEMPORAL_ADDRESS: proxy.address }, port);
    const counter = join(dir, 'starts');
    const name = uniqueId('outage-api');
    const yaml = `
apiVersion: sluice/v1
name: ${name}
steps:
  - { id: count, image: none, executor: process, command: [sh, -c, 'echo start >> "$COUNTER"'], env: { COUNTER: "${counter}" } }
`;
    const applied = await call('POST', '/pipelines', yaml, 'application/yaml');
    expect(applied.status, await applied.clone().text()).toBeLessThan(300);

    proxy.freeze();
    const request = call('POST', `/pipelines/${name}/runs`, '{}').then(
      (r) => r.status,
      () => 'no answer',
    );
    const row = await waitFor(
      'the run row to be written',
      () => pg.db.selectFrom('runs').selectAll().where('pipeline', '=', name).executeTakeFirst(),
      60_000,
    );
    await killNow(api);
    const killedAt = Date.now();
    expect(await request).toBe('no answer');
    expect(row.status).toBe('pending');
    await expect(h.client.workflow.getHandle(row.workflow_id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // The API stays down until the row is past the reconciler's grace, then comes back (directly to Temporal).
    await sleep(Math.max(0, row.created_at.getTime() + RECONCILE_GRACE_MS + 1_000 - Date.now()));
    api = await spawnApiProcess({ ...env, SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress') }, port);
    const back = Date.now();
    const done = await waitFor(
      'the reconciled run to finish',
      async () => {
        const r = await pg.db.selectFrom('runs').selectAll().where('id', '=', row.id).executeTakeFirst();
        return r && ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
      },
      120_000,
    );
    const recoveredMs = Date.now() - back;
    console.log(
      `API outage: down ${back - killedAt} ms; the stranded run finished ${recoveredMs} ms after the API was back`,
    );
    expect(done.status, done.error ?? '').toBe('succeeded');
    expect(recoveredMs).toBeLessThan(120_000);
    expect(await readFile(counter, 'utf8')).toBe('start\n');
    // One run, the one acknowledged by its row; its start and its reconciliation are on the trail.
    const runs = await pg.db.selectFrom('runs').select('id').where('pipeline', '=', name).execute();
    expect(runs.map((r) => r.id)).toEqual([row.id]);
    const events = await pg.db.selectFrom('events').selectAll().where('resource_id', '=', row.id).execute();
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['run.start', 'run.start.reconciled']));
  }, 420_000);
});
