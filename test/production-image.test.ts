import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { issueKey } from '../core/access/keys.js';
import { freePort } from '../core/temporal/dev-server.js';
import { currentSchema, dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { uniqueId, testServices } from './support/services.js';
import { waitFor } from './support/wait.js';
import { APP_IMAGE, buildAppImage, docker } from './support/app-image.js';

const run = promisify(execFile);

// The production image (Dockerfile) built as a user would (test/support/app-image.ts: on a local base,
// offline); then the API and a worker run from it (host network, loopback only) against the test services,
// and a pipeline run goes through the containerised worker.

describe('the production image', () => {
  let dir: string;
  let pg: OpenedDb;
  const containers: string[] = [];
  let buildSeconds = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-image-'));
    buildSeconds = await buildAppImage();
    console.log(`production image built in ${buildSeconds.toFixed(1)} s`);
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
  }, 1_200_000);

  afterAll(async () => {
    for (const c of containers) await docker('rm', '-f', c).catch(() => undefined);
    await pg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('is compiled JavaScript run by node as a non-root user, with a health check', async () => {
    const config = JSON.parse(await docker('image', 'inspect', '--format', '{{json .Config}}', APP_IMAGE)) as {
      User: string;
      Entrypoint: string[];
      Cmd: string[];
      Healthcheck?: { Test: string[] };
    };
    expect(config.User).toBe('node');
    expect(config.Entrypoint).toEqual(['node', 'workers/image-main.js']);
    expect(config.Cmd).toEqual(['api']);
    expect(config.Healthcheck?.Test).toEqual(['CMD', 'node', 'workers/image-main.js', 'health']);
    // No TypeScript sources and no dev dependencies inside; the compiled entry points are there.
    const listing = await docker(
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'sh',
      APP_IMAGE,
      '-c',
      'id -u; ls workers/image-main.js api/main.js workflows/index.js; find . -path ./node_modules -prune -o -name "*.ts" -print | head -n 3; ls node_modules/typescript node_modules/vitest 2>&1 | head -n 2',
    );
    const lines = listing.split('\n');
    expect(lines[0]).toBe('1000');
    expect(lines.slice(1, 4).sort()).toEqual(['api/main.js', 'workers/image-main.js', 'workflows/index.js']);
    expect(listing).not.toMatch(/\.ts$/m);
    expect(listing).toMatch(/node_modules\/typescript'?: No such file/);
    const help = await docker('run', '--rm', '--network', 'none', APP_IMAGE, 'help');
    expect(help).toContain('usage: <image> api | worker | migrate | health');
  });

  it('runs the API and a worker from the image; a pipeline run completes through the containerised worker', async () => {
    const name = uniqueId('image');
    const schema = await currentSchema(pg.db);
    const data = join(dir, 'data');
    await mkdir(data);
    await chmod(data, 0o777); // the containers run as uid 1000 and share this host directory
    const port = await freePort();
    const env = {
      DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: schema,
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: `q-${name}`,
      SLUICE_DATA_DIR: data,
      SLUICE_HOST: '127.0.0.1',
      SLUICE_PORT: String(port),
      SLUICE_LOG_LEVEL: 'warn',
      SLUICE_POLICY_EXECUTORS: 'docker,process',
    };
    const envArgs = (extra: Record<string, string>) =>
      Object.entries({ ...env, ...extra }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const start = async (role: 'api' | 'worker', extra: Record<string, string>) => {
      const id = await docker(
        'run',
        '-d',
        '--name',
        `${name}-${role}`,
        '--network',
        'host',
        '-v',
        `${data}:${data}`,
        ...envArgs({ SLUICE_ROLE: role, ...extra }),
        APP_IMAGE,
        role,
      );
      containers.push(id);
      return id;
    };
    const health = (id: string) => docker('inspect', '--format', '{{.State.Health.Status}}', id);
    const logs = (id: string) => run('docker', ['logs', id]).then((r) => r.stdout + r.stderr);

    const api = await start('api', {});
    const worker = await start('worker', { SLUICE_EXECUTOR: 'process' });
    const key = (await issueKey(pg.db, { name: 'image-test', role: 'operator' })).key;
    const call = (method: string, path: string, body?: string, type = 'application/json') =>
      fetch(`http://127.0.0.1:${port}/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': type } : {}) },
        body,
      });
    try {
      await waitFor(
        'the API container to answer /readyz',
        () =>
          fetch(`http://127.0.0.1:${port}/readyz`).then(
            (r) => r.ok,
            () => false,
          ),
        180_000,
      );

      const yaml = `
  apiVersion: sluice/v1
  name: ${name}
  steps:
    - id: hello
      image: none
      executor: process
      command: [sh, -c, 'echo "hello from $(id -u)" > "$SLUICE_OUTPUTS_DIR/greeting"']
      outputs: [greeting]
  `;
      const applied = await call('POST', '/pipelines', yaml, 'application/yaml');
      expect(applied.status, await applied.clone().text()).toBeLessThan(300);
      const started = await call('POST', `/pipelines/${name}/runs`, '{}');
      expect(started.status, await started.clone().text()).toBeLessThan(300);
      const { id: runId } = (await started.json()) as { id: string };
      const finished = await waitFor(
        'the run to finish',
        async () => {
          const res = await call('GET', `/runs/${runId}`);
          const body = (await res.json()) as { status: string; error?: string };
          return ['succeeded', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
        },
        180_000,
      );
      expect(finished.status, finished.error ?? '').toBe('succeeded');

      // Both containers report healthy through the image's own HEALTHCHECK (the worker's asks Temporal).
      await waitFor('the API container to be healthy', async () => (await health(api)) === 'healthy', 120_000);
      await waitFor('the worker container to be healthy', async () => (await health(worker)) === 'healthy', 120_000);
      expect((await stat(data)).isDirectory()).toBe(true);
    } catch (err) {
      // What the containers said is the first thing to read when this fails.
      const said = `--- api ---\n${await logs(api)}\n--- worker ---\n${await logs(worker)}`;
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${said}`, { cause: err });
    }
  }, 600_000);
});
