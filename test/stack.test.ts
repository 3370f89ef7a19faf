import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { freePort, startDevServer } from '../core/temporal/dev-server.js';
import { pidExists } from '../core/util/data-dir-lock.js';
import { startStack } from '../workers/stack.js';

describe('the embedded stack', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('starts everything, answers health checks, stops cleanly, and restarts on the same data dir', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-stack-'));
    dirs.push(dataDir);
    const env = {
      SLUICE_DATA_DIR: dataDir,
      SLUICE_PORT: String(await freePort()),
      SLUICE_TEMPORAL_PORT: String(await freePort()),
      SLUICE_TEMPORAL_UI_PORT: String(await freePort()),
      SLUICE_TEMPORAL_BIN: inject('temporalBinary'),
      SLUICE_EXECUTOR: 'process',
      // Steps run as this (root) test process: its temp data dir is 0700, out of reach of a step user.
      SLUICE_POLICY_ALLOW_ROOT: 'true',
      SLUICE_LOG_LEVEL: 'warn',
    };
    const config = loadConfig(env);
    const progress: string[] = [];
    const stack = await startStack(config, (m) => progress.push(m));
    expect(progress.join('\n')).toMatch(/applied migrations/);
    const health = await fetch(`${stack.apiUrl}/healthz`);
    expect(health.status).toBe(200);
    // The first start issued an admin key into a file only its owner can read.
    const keyFile = join(dataDir, 'admin.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const key = (await readFile(keyFile, 'utf8')).trim();
    expect((await fetch(`${stack.apiUrl}/v1/runs`)).status).toBe(401);
    const ready = await fetch(`${stack.apiUrl}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${stack.apiUrl}/v1/runs`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await fetch(stack.temporalUiUrl!)).status).toBe(200);
    // A second stack on the same data dir is refused while the first runs.
    await expect(startStack(config, () => {})).rejects.toThrow(/already running/);

    const pidFile = join(dataDir, 'sluice.pid');
    expect(existsSync(pidFile)).toBe(true);
    const devPid = stack.temporalPid!;
    expect(pidExists(devPid)).toBe(true);
    await stack.stop();
    expect(pidExists(devPid)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
    await expect(fetch(`${stack.apiUrl}/healthz`)).rejects.toThrow();

    const again: string[] = [];
    const second = await startStack(config, (m) => again.push(m));
    expect(again.join('\n')).toMatch(/schema is up to date/);
    expect((await fetch(`${second.apiUrl}/healthz`)).status).toBe(200);
    await second.stop();
  }, 120_000);

  it('stops a dev server left behind by a stack that was killed outright, then starts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-stack-'));
    dirs.push(dataDir);
    const port = await freePort();
    // As if the previous stack died with SIGKILL: its dev server still holds the port and the file.
    const leftover = await startDevServer({
      binary: inject('temporalBinary'),
      dbFile: join(dataDir, 'temporal.db'),
      port,
      headless: true,
      pidFile: join(dataDir, 'temporal.pid'),
    });
    const config = loadConfig({
      SLUICE_DATA_DIR: dataDir,
      SLUICE_PORT: String(await freePort()),
      SLUICE_TEMPORAL_PORT: String(port),
      SLUICE_TEMPORAL_UI_PORT: String(await freePort()),
      SLUICE_TEMPORAL_BIN: inject('temporalBinary'),
      SLUICE_EXECUTOR: 'process',
      // Steps run as this (root) test process: its temp data dir is 0700, out of reach of a step user.
      SLUICE_POLICY_ALLOW_ROOT: 'true',
      SLUICE_LOG_LEVEL: 'warn',
    });
    const stack = await startStack(config, () => {});
    try {
      expect(pidExists(leftover.pid)).toBe(false);
      expect(stack.temporalPid).not.toBe(leftover.pid);
      expect((await fetch(`${stack.apiUrl}/healthz`)).status).toBe(200);
    } finally {
      await stack.stop();
    }
  }, 120_000);
});
