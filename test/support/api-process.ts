import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

const apiMain = fileURLToPath(new URL('../../api/main.ts', import.meta.url));

/**
 * Starts api/main.ts as its own node process (the split shape), with `env` over this process'
 * environment; resolves once /healthz answers on `port`. Its stderr goes to ours.
 */
export async function spawnApiProcess(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', apiMain], {
    env: { ...process.env, ...env, SLUICE_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(
    'the API process to answer /healthz',
    async () => {
      if (proc.exitCode !== null) throw new Error(`the API process exited with code ${proc.exitCode}`);
      return fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    180_000,
  );
  return proc;
}

/** SIGKILLs a child and waits until it is gone. */
export async function killNow(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await gone;
}
