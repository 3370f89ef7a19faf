import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** True while a process with this pid exists (signal 0 probes without signalling); a zombie counts. */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One stack per data dir: PGlite and the dev server's SQLite file must have one writer.
 * A lock left by a process that died is taken over. Returns the release function.
 */
export async function acquireDataDirLock(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'sluice.pid');
  for (let i = 0; i < 2; i++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid && pidExists(pid)) {
        throw new Error(
          `another Sluice (pid ${pid}) is already running with data dir ${dataDir}; stop it first or set SLUICE_DATA_DIR`,
          { cause: err },
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file}`);
}
