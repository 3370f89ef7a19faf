import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { processesWithEnv, signalGroup, statOf } from '../executors/process-group.js';
import { servingEnv, type InstanceRef } from '../../core/deployments/instance.js';

const INHERIT = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'];
const GONE_WAIT_MS = 10_000;

/** What identifies a serving process: its deployment, version and the worker's serving directory. */
function identity(ref: Pick<InstanceRef, 'deployment' | 'version' | 'dir'>): string[] {
  return [
    `SLUICE_DEPLOYMENT=${ref.deployment}`,
    `SLUICE_MODEL_VERSION=${ref.version}`,
    `SLUICE_INSTANCE_DIR=${ref.dir}`,
  ];
}

async function envOf(pid: number): Promise<Map<string, string>> {
  const text = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
  return new Map(
    text
      .split('\0')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

/**
 * The live serving process of (deployment, version), found by the identity in its environment as
 * the step executor finds a step's processes: a worker that died after spawning it left no record,
 * but the process (detached, in a group of its own) still runs and is adopted, never doubled.
 */
export async function findProcessInstance(
  ref: Pick<InstanceRef, 'deployment' | 'version' | 'dir'>,
): Promise<{ pid: number; port: number } | undefined> {
  for (const pid of await processesWithEnv(identity(ref))) {
    const stat = await statOf(pid);
    // The group leader is the server itself; its children (a shell's python) share the identity.
    if (!stat || stat.pgid !== pid) continue;
    const port = Number((await envOf(pid)).get('SLUICE_PORT'));
    if (Number.isInteger(port) && port > 0) return { pid, port };
  }
  return undefined;
}

export interface ProcessStart {
  ref: Pick<InstanceRef, 'deployment' | 'model' | 'version' | 'dir'>;
  command: string[];
  env: Record<string, string>;
  cwd: string;
  port: number;
  modelDir: string;
  /** Prepended to PATH (a venv's bin). */
  pathPrefix?: string;
  /** Who the server runs as (a root worker drops to the step policy's user); undefined: the worker's user. */
  runAs?: { uid: number; gid: number } | undefined;
  logFile: string;
}

/** Starts the server detached, in its own process group, its stdout and stderr appended to the log file. */
export async function spawnProcessInstance(s: ProcessStart): Promise<number> {
  const inherited = Object.fromEntries(
    INHERIT.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])),
  );
  const env: Record<string, string> = {
    ...inherited,
    ...servingEnv(s.ref, s.env, s.modelDir, s.port),
    SLUICE_INSTANCE_DIR: s.ref.dir,
  };
  if (s.pathPrefix) {
    env.PATH = [s.pathPrefix, env.PATH].filter(Boolean).join(path.delimiter);
    env.VIRTUAL_ENV = path.dirname(s.pathPrefix);
  }
  await mkdir(path.dirname(s.logFile), { recursive: true });
  const fd = openSync(s.logFile, 'a');
  try {
    const [cmd, ...args] = s.command;
    const child = spawn(cmd!, args, {
      cwd: s.cwd,
      env,
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(s.runAs ? { uid: s.runAs.uid, gid: s.runAs.gid } : {}),
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) => reject(new Error(`server command "${cmd}" could not be run: ${e.message}`)));
      child.once('spawn', () => resolve(child.pid!));
    });
    // The server outlives this worker: nothing here waits for it.
    child.unref();
    return pid;
  } finally {
    closeSync(fd);
  }
}

/** Stops every process of the instance (its whole group), SIGTERM then SIGKILL; gone already is fine. */
export async function stopProcessInstance(ref: Pick<InstanceRef, 'deployment' | 'version' | 'dir'>): Promise<number[]> {
  const pids = await processesWithEnv(identity(ref));
  const stats = (await Promise.all(pids.map(async (pid) => ({ pid, stat: await statOf(pid) })))).filter((p) => p.stat);
  const groups = new Set(stats.map((p) => p.stat!.pgid));
  for (const g of groups) signalGroup(g, 'SIGTERM');
  const alive = async () =>
    (await Promise.all(stats.map(async (p) => (await statOf(p.pid))?.startTime === p.stat!.startTime))).some(Boolean);
  const deadline = Date.now() + GONE_WAIT_MS;
  while ((await alive()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (await alive()) for (const g of groups) signalGroup(g, 'SIGKILL');
  return stats.map((p) => p.pid);
}

/** Whether the instance's server process still runs. */
export async function processInstanceAlive(ref: Pick<InstanceRef, 'deployment' | 'version' | 'dir'>): Promise<boolean> {
  return (await findProcessInstance(ref)) !== undefined;
}
