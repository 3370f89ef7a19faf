import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerExecutor } from './docker.js';
import { ProcessExecutor } from './process.js';
import type { Executor } from './types.js';
import { linesOf, newStep, readOutput, removeWorkDirs } from '../../test/support/executors.js';

const docker = new Docker();
const sh = (script: string) => ({ command: ['sh', '-c', script] });
afterAll(removeWorkDirs);

describe('who a step runs as', () => {
  it('a container runs as nobody by default, and can still write its outputs', async () => {
    const { req, logs } = await newStep(sh('id -u; id -g; echo ok > /sluice/outputs/x'));
    const result = await new DockerExecutor({ docker }).run(req);
    expect(result.exitCode).toBe(0);
    expect(linesOf(logs, 'stdout')).toEqual(['65534', '65534']);
    expect(await readOutput(req, 'x')).toBe('ok\n');
  });

  it("a container keeps the image's user (root) only when the policy allows root, and is never privileged", async () => {
    const { req, logs } = await newStep(sh('id -u; ip link add dummy0 type dummy 2>/dev/null && echo privileged'));
    await new DockerExecutor({ docker, user: null }).run(req);
    expect(linesOf(logs, 'stdout')).toEqual(['0']);
  });

  it('a step may ask for its own network over the executor default', async () => {
    const script = 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "';
    const { req, logs } = await newStep({ ...sh(script), network: 'host' });
    await new DockerExecutor({ docker }).run(req);
    expect(linesOf(logs, 'stdout').length).toBeGreaterThan(1);
  });

  it.runIf(process.getuid?.() === 0)('a root worker drops a local process to the configured user', async () => {
    const { req, logs } = await newStep(sh('id -u; echo "$HOME"; echo ok > "$SLUICE_OUTPUTS_DIR/x"'));
    await chmod(req.workDir, 0o755); // mkdtemp's 0700, unlike the worker's own work dirs
    const result = await new ProcessExecutor({ runAs: { uid: 65534, gid: 65534 } }).run(req);
    expect(result.exitCode).toBe(0);
    expect(linesOf(logs, 'stdout')).toEqual(['65534', path.join(req.workDir, 'work')]);
    expect(await readOutput(req, 'x')).toBe('ok\n');
  });

  it.runIf(process.getuid?.() === 0)('says so when the step user cannot reach its work dir', async () => {
    const closed = await mkdtemp('/root/sluice-closed-');
    try {
      const { req } = await newStep({ ...sh('true'), workDir: path.join(closed, 'w') });
      await expect(new ProcessExecutor({ runAs: { uid: 65534, gid: 65534 } }).run(req)).rejects.toMatchObject({
        code: 'InvalidRequest',
        message: expect.stringContaining('cannot enter'),
      });
    } finally {
      await rm(closed, { recursive: true, force: true });
    }
  });
});

describe("a worker's secrets never reach a step", () => {
  const secrets = {
    DATABASE_URL: 'postgres://sluice:pg-secret-7f3a@db:5432/sluice',
    SLUICE_S3_SECRET_ACCESS_KEY: 's3-secret-91c2',
    SLUICE_S3_ACCESS_KEY_ID: 's3-keyid-55d0',
    AWS_SECRET_ACCESS_KEY: 'aws-secret-c4e8',
    AWS_SESSION_TOKEN: 'aws-token-0b6d',
    SLUICE_ADMIN_KEY: 'slk_admin-secret-e1f9',
  };
  const executors: Array<[string, Executor, string]> = [
    ['process', new ProcessExecutor({ workerEnv: { ...process.env, ...secrets } }), '$SLUICE_OUTPUTS_DIR'],
    ['docker', new DockerExecutor({ docker }), '/sluice/outputs'],
  ];

  it.each(executors)('%s: not in the environment, the log or the outputs', async (_name, executor, out) => {
    // The docker executor runs in this process, whose environment carries the same secrets.
    Object.assign(process.env, secrets);
    try {
      const { req, logs } = await newStep(sh(`env; env > "${out}/env.txt"`));
      expect((await executor.run(req)).exitCode).toBe(0);
      const output = await readFile(path.join(req.workDir, 'outputs', 'env.txt'), 'utf8');
      const log = logs.map((l) => l.line).join('\n');
      expect(log).toContain('SLUICE_RUN_ID=');
      for (const value of Object.values(secrets)) {
        expect(log).not.toContain(value);
        expect(output).not.toContain(value);
      }
    } finally {
      for (const k of Object.keys(secrets)) delete process.env[k];
    }
  });
});
