import { readdir, readFile } from 'node:fs/promises';

/** Signals a whole process group; a group that is already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  signalIfThere(-pgid, signal);
}

function signalIfThere(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

interface ProcStat {
  pgid: number;
  /** Clock ticks since boot: tells a process apart from a later one that reuses its pid. */
  startTime: string;
}

/** Process group and start time of a live pid; undefined when it is gone or a zombie. */
export async function statOf(pid: number): Promise<ProcStat | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" of the command name: state is field 3 overall, pgrp 5, starttime 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[2] === undefined || fields[19] === undefined) return undefined;
    return { pgid: Number(fields[2]), startTime: fields[19] };
  } catch {
    return undefined;
  }
}

/** Pids whose environment carries this step's identity. */
export function stepProcesses(runId: string, stepId: string): Promise<number[]> {
  return processesWithEnv([`SLUICE_RUN_ID=${runId}`, `SLUICE_STEP_ID=${stepId}`]);
}

/**
 * Pids whose environment holds every one of `wanted` (`NAME=value`). Processes vanish mid-scan and
 * other users' environments are unreadable: both are skipped. Without /proc (not Linux) none is found.
 */
export async function processesWithEnv(wanted: readonly string[]): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  await Promise.all(
    entries.map(async (entry) => {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) return;
      let environ: string;
      try {
        environ = await readFile(`/proc/${entry}/environ`, 'utf8');
      } catch {
        return;
      }
      const vars = environ.split('\0');
      if (wanted.every((v) => vars.includes(v))) found.push(Number(entry));
    }),
  );
  return found;
}

const GONE_WAIT_MS = 5_000;

/**
 * Kills the process groups of what an earlier attempt of this step left running: its worker
 * died and took the pipes with it, so it cannot be re-attached. They are found by identity
 * (SLUICE_RUN_ID and SLUICE_STEP_ID in their environment), as the docker executor finds
 * containers by label: a record written after the spawn misses a worker that died before
 * writing it. Waits until they are gone, so none writes into the next attempt's outputs/.
 * Returns the pids it killed.
 */
export async function killStepOrphans(runId: string, stepId: string): Promise<number[]> {
  const ownGroup = (await statOf(process.pid))?.pgid;
  const killed: Array<{ pid: number } & ProcStat> = [];
  for (const pid of await stepProcesses(runId, stepId)) {
    const stat = await statOf(pid);
    if (!stat) continue;
    // Steps get groups of their own; one in the worker's group was started by hand: spare the worker.
    if (stat.pgid === ownGroup) signalIfThere(pid, 'SIGKILL');
    else signalGroup(stat.pgid, 'SIGKILL');
    killed.push({ pid, ...stat });
  }
  const deadline = Date.now() + GONE_WAIT_MS;
  const alive = async () => {
    const now = await Promise.all(killed.map(async (k) => (await statOf(k.pid))?.startTime === k.startTime));
    return now.some(Boolean);
  };
  while (Date.now() < deadline && (await alive())) await new Promise((r) => setTimeout(r, 20));
  return killed.map((k) => k.pid);
}
