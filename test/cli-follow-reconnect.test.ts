import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, listen } from '../api/server.js';
import { issueKey } from '../core/access/keys.js';
import { loadConfig } from '../core/config.js';
import { freePort } from '../core/temporal/dev-server.js';
import { createHarness, type Harness } from './support/harness.js';
import { uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A CLI child process whose output the test reads while it runs. */
interface Cli {
  stdout: string;
  stderr: string;
  exit: Promise<number>;
  child: ChildProcess;
}

/**
 * `sluice run --follow` and `sluice logs --follow` while the API restarts: the step prints 20
 * lines, waits for a file the test writes while the API is down, prints 20 more and succeeds.
 */
describe('the CLI followers across an API restart', () => {
  let h: Harness;
  let server: FastifyInstance;
  let port: number;
  let key: string;
  const pipeline = `restart-${uniqueId('p')}`;
  const children: ChildProcess[] = [];

  const startApi = async () => {
    const config = loadConfig({
      SLUICE_DATA_DIR: h.dir,
      SLUICE_TASK_QUEUE: h.taskQueue,
      SLUICE_LOG_LEVEL: 'silent',
      SLUICE_PORT: String(port),
    });
    server = await buildServer({
      config,
      db: h.db,
      temporal: h.client,
      artifacts: h.deps.artifacts,
      logs: h.deps.logs,
    });
    await listen(server, '127.0.0.1', port);
  };
  /** As a killed API looks to its clients: every connection dropped, then nothing listening. */
  const stopApi = async () => {
    server.server.closeAllConnections();
    await server.close();
  };
  const cli = (args: string[]): Cli => {
    const child = spawn(process.execPath, [join(root, 'bin/sluice.js'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, SLUICE_API_URL: `http://127.0.0.1:${port}`, SLUICE_API_KEY: key },
    });
    children.push(child);
    const c = { stdout: '', stderr: '', child } as Cli;
    child.stdout!.on('data', (d: Buffer) => (c.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (c.stderr += d.toString()));
    c.exit = new Promise((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    return c;
  };

  beforeAll(async () => {
    h = await createHarness();
    await h.startInProcessWorker();
    port = await freePort();
    key = (await issueKey(h.db, { name: 'follower', role: 'admin' })).key;
    await startApi();
    const go = join(h.dir, 'go');
    const res = await server.inject({
      method: 'POST',
      url: '/v1/pipelines',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/yaml' },
      payload: `apiVersion: sluice/v1
name: ${pipeline}
steps:
  - id: talk
    image: none
    command: [sh, -c, 'for i in $(seq 1 20); do echo "line $i"; done; while [ ! -f ${go} ]; do sleep 0.1; done; for i in $(seq 21 40); do echo "line $i"; done']
`,
    });
    expect(res.statusCode, res.body).toBe(201);
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await server?.close();
    await h?.close();
  });

  it('reconnect with backoff, resume without gaps or repeats, and exit with the run’s result', async () => {
    const run = cli(['run', pipeline, '--follow']);
    const id = await waitFor('the run id', () => /^run (\S+) of /m.exec(run.stdout)?.[1], 60_000);
    const logs = cli(['logs', id, 'talk', '--follow']);
    await waitFor('the first 20 lines', () => logs.stdout.includes('line 20\n'), 60_000);

    await stopApi();
    await waitFor(
      'both followers to notice',
      () => /reconnecting…/.test(run.stderr) && /reconnecting…/.test(logs.stderr),
    );
    await writeFile(join(h.dir, 'go'), ''); // the step goes on while the API is down
    await startApi();

    expect(await logs.exit, logs.stderr).toBe(0);
    expect(logs.stdout).toBe(Array.from({ length: 40 }, (_, i) => `line ${i + 1}\n`).join(''));
    expect(logs.stderr).toMatch(/reconnected \(following the log\) after/);

    expect(await run.exit, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/✓ talk\s+succeeded/);
    expect(run.stdout).toMatch(new RegExp(`run ${id} succeeded in`));
    expect(run.stderr).toMatch(/reconnecting… \(following run \S+: cannot reach the Sluice API/);
  });
});
