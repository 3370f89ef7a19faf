import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../core/temporal/dev-server.js';
import { pidExists } from '../core/util/data-dir-lock.js';
import { waitFor } from './support/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Pids of the live processes whose process group is `pgid` (from /proc/<pid>/stat). */
async function groupMembers(pgid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces): state ppid pgrp …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') found.push(Number(entry));
  }
  return found;
}

function portBound(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

describe('the embedded stack under a signal to its whole process group', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the group of \`npm start\` stops everything: no process, no bound port`, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'sluice-signals-'));
      dirs.push(dataDir);
      const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
      const npm = spawn('npm', ['start'], {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          SLUICE_DATA_DIR: dataDir,
          SLUICE_PORT: String(ports.api),
          SLUICE_TEMPORAL_PORT: String(ports.temporal),
          SLUICE_TEMPORAL_UI_PORT: String(ports.ui),
          SLUICE_TEMPORAL_BIN: inject('temporalBinary'),
          SLUICE_EXECUTOR: 'process',
          // Steps run as this (root) test process: its temp data dir is 0700, out of reach of a step user.
          SLUICE_POLICY_ALLOW_ROOT: 'true',
          SLUICE_LOG_LEVEL: 'warn',
        },
      });
      let output = '';
      npm.stdout.on('data', (b: Buffer) => (output += b.toString()));
      npm.stderr.on('data', (b: Buffer) => (output += b.toString()));
      const pgid = npm.pid!;
      try {
        await waitFor(
          () => `/healthz; output so far:\n${output}`,
          () =>
            fetch(`http://127.0.0.1:${ports.api}/healthz`).then(
              (r) => r.ok,
              () => false,
            ),
          90_000,
        );
        const devPid = Number(await readFile(join(dataDir, 'temporal.pid'), 'utf8'));
        expect(pidExists(devPid)).toBe(true);

        process.kill(-pgid, signal);
        const t0 = Date.now();
        await waitFor(
          () => `the group and the dev server to end; output:\n${output}`,
          async () => (await groupMembers(pgid)).length === 0 && !pidExists(devPid),
          60_000,
        );
        for (const port of Object.values(ports)) expect(await portBound(port), `port ${port}`).toBe(false);
        expect(output).toContain('stopped cleanly');
        expect(output).not.toContain('again: exiting now');
        console.log(`${signal}: stopped in ${Date.now() - t0} ms`);
      } finally {
        for (const pid of await groupMembers(pgid)) process.kill(pid, 'SIGKILL');
      }
    }, 150_000);
  }
});
