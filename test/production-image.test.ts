import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { issueKey } from '../core/access/keys.js';
import { freePort } from '../core/temporal/dev-server.js';
import { dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { uniqueId, testServices } from './support/services.js';
import { waitFor } from './support/wait.js';

// The production image (Dockerfile) built here as a user would build it, on a base made locally
// (sluice/node-base:20, scripts/build-images.sh) because no registry serves node:20-bookworm-slim;
// then the API and a worker run from it (host network, loopback only) against the test services,
// and a pipeline run goes through the containerised worker.

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const IMAGE = 'sluice/app:test';
const CONTEXT = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'Dockerfile',
  '.dockerignore',
];
const CONTEXT_DIRS = ['core', 'workflows', 'activities', 'api', 'workers', 'cli', 'examples'];

async function docker(...args: string[]): Promise<string> {
  // DOCKER_BUILDKIT=0: Debian's docker.io has no buildx here; the Dockerfile is written for both builders.
  const { stdout } = await run('docker', args, {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

/** The npm cache of this machine: the build installs from it with --offline (the build has no network). */
async function npmCacheDir(): Promise<string> {
  const { stdout } = await run('npm', ['config', 'get', 'cache']);
  return stdout.trim();
}

/**
 * The lockfile with every package's tarball URL written out. This machine's npm omits the URLs of
 * default-registry packages (omit-lockfile-registry-resolved); an --offline install then asks the
 * registry for a package's metadata to find the URL, which no offline build can. Same packages, same
 * integrity hashes: only where npm finds them is spelled out.
 */
function withRegistryUrls(lockText: string): string {
  const lock = JSON.parse(lockText) as {
    packages: Record<string, { version?: string; resolved?: string; link?: boolean }>;
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || entry.link || entry.resolved || !entry.version) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    entry.resolved = `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
  }
  return JSON.stringify(lock, null, 2);
}

describe('the production image', () => {
  let dir: string;
  let pg: OpenedDb;
  const containers: string[] = [];
  let buildSeconds = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-image-'));
    const ctx = join(dir, 'context');
    await mkdir(ctx);
    for (const f of CONTEXT) await cp(join(repo, f), join(ctx, f));
    for (const d of CONTEXT_DIRS) await cp(join(repo, d), join(ctx, d), { recursive: true });
    await cp(join(await npmCacheDir(), '_cacache'), join(ctx, '.build-cache', 'npm', '_cacache'), { recursive: true });
    await writeFile(
      join(ctx, 'package-lock.json'),
      withRegistryUrls(await readFile(join(ctx, 'package-lock.json'), 'utf8')),
    );
    const started = Date.now();
    await docker('build', '--network', 'none', '--build-arg', 'BASE=sluice/node-base:20', '-t', IMAGE, ctx);
    buildSeconds = (Date.now() - started) / 1000;
    console.log(`production image built in ${buildSeconds.toFixed(1)} s`);
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
  }, 1_200_000);

  afterAll(async () => {
    for (const c of containers) await docker('rm', '-f', c).catch(() => undefined);
    await pg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('is compiled JavaScript run by node as a non-root user, with a health check', async () => {
    const config = JSON.parse(await docker('image', 'inspect', '--format', '{{json .Config}}', IMAGE)) as {
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
      IMAGE,
      '-c',
      'id -u; ls workers/image-main.js api/main.js workflows/index.js; find . -path ./node_modules -prune -o -name "*.ts" -print | head -n 3; ls node_modules/typescript node_modules/vitest 2>&1 | head -n 2',
    );
    const lines = listing.split('\n');
    expect(lines[0]).toBe('1000');
    expect(lines.slice(1, 4).sort()).toEqual(['api/main.js', 'workers/image-main.js', 'workflows/index.js']);
    expect(listing).not.toMatch(/\.ts$/m);
    expect(listing).toMatch(/node_modules\/typescript'?: No such file/);
    const help = await docker('run', '--rm', '--network', 'none', IMAGE, 'help');
    expect(help).toContain('usage: <image> api | worker | migrate | health');
  });

  it('runs the API and a worker from the image; a pipeline run completes through the containerised worker', async () => {
    const name = uniqueId('image');
    const schema = (
      await pg.db.selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('s')).executeTakeFirstOrThrow()
    ).s;
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
        IMAGE,
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
