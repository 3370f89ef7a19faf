import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('the step policy from configuration', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-policy-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('defaults to no root, no host network, any image, no limits, and executors per process', () => {
    expect(loadConfig({}).policy).toEqual({
      hostNetwork: false,
      allowRoot: false,
      user: { uid: 65534, gid: 65534 },
    });
  });

  it('reads a YAML file, and SLUICE_POLICY_* variables win over its keys', async () => {
    const file = join(dir, 'policy.yaml');
    await writeFile(
      file,
      'executors: [docker]\nimagePrefixes: [sluice/]\nhostNetwork: true\nmaxCpu: 2\nmaxMemory: 1Gi\nmaxTimeout: 30m\nuser: "1000:1000"\n',
    );
    expect(loadConfig({ SLUICE_POLICY_FILE: file }).policy).toEqual({
      executors: ['docker'],
      imagePrefixes: ['sluice/'],
      hostNetwork: true,
      maxCpu: 2,
      maxMemoryMb: 1024,
      maxTimeoutMs: 1_800_000,
      allowRoot: false,
      user: { uid: 1000, gid: 1000 },
    });
    const over = loadConfig({
      SLUICE_POLICY_FILE: file,
      SLUICE_POLICY_EXECUTORS: 'docker, process',
      SLUICE_POLICY_IMAGE_PREFIXES: 'a/,b/',
      SLUICE_POLICY_HOST_NETWORK: 'false',
      SLUICE_POLICY_MAX_CPU: '0.5',
      SLUICE_POLICY_MAX_MEMORY: '512Mi',
      SLUICE_POLICY_MAX_TIMEOUT: '90s',
      SLUICE_POLICY_ALLOW_ROOT: 'true',
    }).policy;
    expect(over).toMatchObject({
      executors: ['docker', 'process'],
      imagePrefixes: ['a/', 'b/'],
      hostNetwork: false,
      maxCpu: 0.5,
      maxMemoryMb: 512,
      maxTimeoutMs: 90_000,
      allowRoot: true,
    });
  });

  it('reads a JSON file', async () => {
    const file = join(dir, 'policy.json');
    await writeFile(file, JSON.stringify({ executors: ['process'], allowRoot: true }));
    expect(loadConfig({ SLUICE_POLICY_FILE: file }).policy).toMatchObject({ executors: ['process'], allowRoot: true });
  });

  it.each([
    [{ SLUICE_POLICY_EXECUTORS: 'docker,vm' }, 'SLUICE_POLICY_EXECUTORS'],
    [{ SLUICE_POLICY_MAX_MEMORY: 'lots' }, 'SLUICE_POLICY_MAX_MEMORY'],
    [{ SLUICE_POLICY_MAX_TIMEOUT: 'forever' }, 'SLUICE_POLICY_MAX_TIMEOUT'],
    [{ SLUICE_POLICY_USER: '0:0' }, 'root'],
    [{ SLUICE_POLICY_USER: 'nobody' }, 'uid:gid'],
    [{ SLUICE_POLICY_ALLOW_ROOT: 'maybe' }, 'SLUICE_POLICY_ALLOW_ROOT'],
    [{ SLUICE_POLICY_FILE: '/nonexistent/policy.yaml' }, 'SLUICE_POLICY_FILE'],
    [{ SLUICE_DOCKER_NETWORK: 'host' }, 'SLUICE_POLICY_HOST_NETWORK'],
  ])('rejects %o naming %s', (env, fragment) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(fragment);
  });

  it('rejects an unknown key in the file, naming it', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'privileged: true\n');
    expect(() => loadConfig({ SLUICE_POLICY_FILE: file })).toThrow(/privileged/);
  });

  it('allows SLUICE_DOCKER_NETWORK=host once the policy allows host networking', () => {
    const c = loadConfig({ SLUICE_DOCKER_NETWORK: 'host', SLUICE_POLICY_HOST_NETWORK: 'true' });
    expect(c.executor.dockerNetwork).toBe('host');
  });
});
