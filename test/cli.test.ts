import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { freePort } from '../core/temporal/dev-server.js';
import { startStack, type Stack } from '../workers/stack.js';
import { uniqueId } from './support/services.js';
import { installQuietTemporalRuntime } from './support/temporal-runtime.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const ok = (name: string) => `apiVersion: sluice/v1
name: ${name}
params:
  greeting: { type: string, default: hello }
steps:
  - id: a
    image: none
    command: [sh, -c, 'echo "say $G"; echo "$G" > "$SLUICE_OUTPUTS_DIR/g"']
    env: { G: "\${params.greeting}" }
    outputs: [g]
  - id: b
    image: none
    command: [sh, -c, 'cat "$SLUICE_INPUTS_DIR/g"']
    inputs: { g: steps.a.outputs.g }
`;
const failing = (name: string) => `apiVersion: sluice/v1
name: ${name}
steps:
  - id: boom
    image: none
    command: [sh, -c, 'echo "about to fail"; exit 4']
`;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the sluice CLI against a running stack', () => {
  let stack: Stack;
  let dataDir: string;
  const okName = `ok-${uniqueId('p')}`;
  const failName = `fail-${uniqueId('p')}`;

  /** Runs the CLI as a user would: a child process, key found in the data dir, stdout not a TTY. */
  const sluice = (args: string[], env: Record<string, string> = {}): Promise<Result> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(root, 'bin/sluice.js'), ...args],
        {
          cwd: root,
          timeout: 60_000,
          env: { PATH: process.env.PATH, SLUICE_API_URL: stack.apiUrl, SLUICE_DATA_DIR: dataDir, ...env },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    installQuietTemporalRuntime('WARN');
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const config = loadConfig({
      SLUICE_DATA_DIR: dataDir,
      SLUICE_PORT: String(await freePort()),
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: uniqueId('cli'),
      SLUICE_EXECUTOR: 'process',
      // Steps run as this (root) test process: its temp data dir is 0700, out of reach of a step user.
      SLUICE_POLICY_ALLOW_ROOT: 'true',
      SLUICE_LOG_LEVEL: 'warn',
    });
    stack = await startStack(config, () => {});
    await writeFile(join(dataDir, 'ok.yaml'), ok(okName));
    await writeFile(join(dataDir, 'fail.yaml'), failing(failName));
    await writeFile(
      join(dataDir, 'bad.yaml'),
      `apiVersion: sluice/v1\nname: bad\nsteps:\n  - id: a\n    imag: busybox\n`,
    );
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('finds the admin key the stack wrote (owner-only) and applies pipelines', async () => {
    expect((await stat(join(dataDir, 'admin.key'))).mode & 0o777).toBe(0o600);
    const applied = await sluice(['pipelines', 'apply', '-f', join(dataDir, 'ok.yaml')]);
    expect(applied, applied.stderr).toMatchObject({ code: 0, stdout: `applied ${okName} version 1\n` });
    expect((await sluice(['pipelines', 'apply', '-f', join(dataDir, 'ok.yaml')])).stdout).toMatch(/unchanged/);
    expect((await sluice(['pipelines', 'apply', '-f', join(dataDir, 'fail.yaml')])).code).toBe(0);

    const bad = await sluice(['pipelines', 'apply', '-f', join(dataDir, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      "error: invalid pipeline spec\n  $.steps[0].image: Invalid input: expected string, received undefined\n  $.steps[0].imag: unknown field 'imag'\n",
    );
  });

  it('runs with --follow: step progress, exit 0 on success and 1 on failure', async () => {
    const good = await sluice(['run', okName, '-p', 'greeting=bonjour', '--follow']);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/✓ a\s+succeeded/);
    expect(good.stdout).toMatch(/✓ b\s+succeeded/);
    expect(good.stdout).toMatch(new RegExp(`run ${okName}-\\d{14}-\\w{4} succeeded in`));
    expect(good.stdout).not.toContain('\x1b['); // not a terminal: no colours

    const bad = await sluice(['run', failName, '--follow']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/✗ boom\s+failed/);
    expect(bad.stdout).toMatch(/failed in .*: step boom failed/);

    const usage = await sluice(['run', okName, '-p', 'oops']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/expected key=value/);
    const param = await sluice(['run', okName, '-p', 'colour=red']);
    expect(param.code).toBe(1);
    expect(param.stderr).toMatch(/^error: invalid params .*\n {2}\$\.params\.colour: unknown param/);
    expect(param.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('lists runs as JSON and prints and follows logs', async () => {
    const ls = await sluice(['runs', 'ls', '--json', '--pipeline', okName]);
    expect(ls.code).toBe(0);
    const runs = JSON.parse(ls.stdout) as { items: { id: string; status: string }[] };
    expect(runs.items.map((r) => r.status)).toEqual(['succeeded']);
    const id = runs.items[0]!.id;
    const logs = await sluice(['logs', id, 'a']);
    expect(logs.stdout).toContain('say bonjour\n');
    const followed = await sluice(['logs', id, 'b', '--follow']);
    expect(followed).toMatchObject({ code: 0, stdout: 'bonjour\n' });
    const missing = await sluice(['runs', 'get', 'no-such-run']);
    expect(missing).toMatchObject({ code: 1, stderr: 'error: run "no-such-run" does not exist\n' });
  });

  it('creates, pauses and deletes a schedule', async () => {
    const name = uniqueId('nightly');
    const created = await sluice([
      'schedules',
      'create',
      name,
      '--pipeline',
      okName,
      '--cron',
      '0 3 * * *',
      '-p',
      'greeting=night',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^${name}  ${okName} v1  cron 0 3 \\* \\* \\*  active\\n`));
    expect(created.stdout).toMatch(/next: \d{4}-\d\d-\d\d 03:00:00/);
    expect((await sluice(['schedules', 'pause', name])).stdout).toMatch(/paused/);
    expect((await sluice(['schedules', 'delete', name])).stdout).toBe(`delete: ${name}\n`);
    expect((await sluice(['schedules', 'get', name])).code).toBe(1);
  });

  it('issues a key with a role and is refused beyond it', async () => {
    const created = await sluice(['keys', 'create', 'reader', '--role', 'viewer', '--json']);
    const { key } = JSON.parse(created.stdout) as { key: string };
    expect((await sluice(['runs', 'ls', '--key', key])).code).toBe(0);
    const denied = await sluice(['run', okName], { SLUICE_API_KEY: key });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^error: this needs the operator role/);
    const down = await sluice(['runs', 'ls', '--api', `http://127.0.0.1:${await freePort()}`]);
    expect(down.stderr).toMatch(/cannot reach the Sluice API .*ECONNREFUSED/);
  });
});
