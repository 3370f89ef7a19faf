import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from './search-attributes.js';

export interface DevServerOptions {
  binary: string;
  /** SQLite file for persistence; in memory when absent. */
  dbFile?: string;
  port?: number;
  /** UI port; no UI when `headless`. */
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  /**
   * Own process group (default true): a Ctrl-C in the terminal then reaches only us, and we stop
   * the server in order (it must flush its SQLite file). Tests pass false so it dies with them.
   */
  detached?: boolean;
  /**
   * Remembers the server's pid. A server left behind by a stack that was killed outright
   * (SIGKILL skips our shutdown) still holds the port and the SQLite file: the next start finds
   * it here and stops it first.
   */
  pidFile?: string;
  /** Where the server's own output goes (a file path); discarded when absent. */
  logFile?: string;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  pid: number;
  stop(): Promise<void>;
  /** Kills the server at once, synchronously: for an exit that cannot wait for stop(). */
  kill(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** The pid recorded in `pidFile` if that process still runs `temporal server start-dev`. */
function recordedDevServer(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return pid > 0 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('start-dev') ? pid : undefined;
  } catch {
    return undefined; // no record, or the process is gone
  }
}

/** Stops a dev server recorded in `pidFile` if that pid still runs `temporal server start-dev`. */
async function stopLeftover(pidFile: string): Promise<void> {
  const pid = recordedDevServer(pidFile);
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await rm(pidFile, { force: true });
}

/**
 * Kills, at once and synchronously, the dev server recorded in `pidFile` (and its process group):
 * the forced exit of a stack still starting.
 */
export function killRecordedDevServer(pidFile: string): void {
  const pid = recordedDevServer(pidFile);
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(pidFile, { force: true });
}

/** Starts `temporal server start-dev` on 127.0.0.1 and waits until it answers. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  if (opts.pidFile) await stopLeftover(opts.pidFile);
  const port = opts.port ?? (await freePort());
  if (await portTaken(port)) {
    throw new Error(
      `port ${port} is already in use; is another Temporal server running? ` +
        'Set SLUICE_TEMPORAL_PORT to another port, or SLUICE_TEMPORAL_ADDRESS to use that server.',
    );
  }
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    opts.namespace ?? 'default',
    '--log-level',
    'warn',
  ];
  // Eager activity dispatch: a step's activity comes back with the workflow task that
  // scheduled it, saving a round trip per step.
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.headless || opts.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort), '--ui-ip', '127.0.0.1');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);

  const detached = opts.detached ?? true;
  const child = spawn(opts.binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached });
  const out = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  const tail: string[] = [];
  const keep = (b: Buffer) => {
    out?.write(b);
    tail.push(b.toString());
    if (tail.length > 30) tail.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const gone = exited(child);
  if (opts.pidFile && child.pid) await writeFile(opts.pidFile, String(child.pid));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    }
    out?.end();
    if (opts.pidFile) await rm(opts.pidFile, { force: true });
  };

  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    try {
      // SQLite keeps what it committed through a SIGKILL; a server left running would keep the ports.
      process.kill(detached ? -child.pid : child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    if (opts.pidFile) rmSync(opts.pidFile, { force: true });
  };

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`temporal dev server exited with code ${child.exitCode}:\n${tail.join('').slice(-2000)}`);
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`temporal dev server did not answer on ${address} in time: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    address,
    uiUrl: opts.headless || opts.uiPort === undefined ? undefined : `http://127.0.0.1:${opts.uiPort}`,
    pid: child.pid ?? -1,
    stop,
    kill,
  };
}
