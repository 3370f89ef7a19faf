import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Signals a whole process group; a group that is already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Linux start time of a live pid (clock ticks since boot), to tell it apart from a reused pid;
 * undefined when gone or a zombie.
 */
async function startTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" of the command name: state is field 3 overall, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

const recordFile = (workDir: string) => path.join(workDir, '.sluice-process.json');

/**
 * Remembers the running step's process group in its workDir, so that the next attempt,
 * after this worker died, can kill the orphaned group (its pipes died with the worker, so it
 * cannot be re-attached) instead of running next to it.
 */
export async function recordGroup(workDir: string, pid: number): Promise<void> {
  await writeFile(recordFile(workDir), JSON.stringify({ pid, startTime: await startTime(pid) }));
}

export async function forgetGroup(workDir: string): Promise<void> {
  await rm(recordFile(workDir), { force: true });
}

/**
 * Kills a recorded group whose leader is still the same process (pid and start time match).
 * Without /proc (not Linux) nothing is killed. Returns true when a group was killed.
 */
export async function killLeftoverGroup(workDir: string): Promise<boolean> {
  let rec: { pid?: unknown; startTime?: unknown };
  try {
    rec = JSON.parse(await readFile(recordFile(workDir), 'utf8')) as typeof rec;
  } catch {
    return false;
  }
  const pid = typeof rec.pid === 'number' ? rec.pid : undefined;
  let killed = false;
  if (pid && rec.startTime !== undefined && (await startTime(pid)) === rec.startTime) {
    signalGroup(pid, 'SIGKILL');
    killed = true;
    for (let i = 0; i < 50 && (await startTime(pid)) === rec.startTime; i++) {
      await new Promise((r) => setTimeout(r, 40));
    }
  }
  await forgetGroup(workDir);
  return killed;
}
