import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const workerMain = fileURLToPath(new URL('../../workers/worker-main.ts', import.meta.url));

/**
 * Starts workers/worker-main.ts as its own node process, as production runs a worker, with `env`
 * over this process' environment. Resolves once it prints that it is ready; rejects if it exits first.
 * Its stderr goes to ours, so a worker that fails to start says why in the test output.
 */
export function spawnWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', workerMain], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`worker process exited before it was ready (${signal ?? `code ${code}`})`));
    proc.once('exit', onExit);
    proc.stdout!.on('data', (b: Buffer) => {
      if (!seen.includes('worker ready')) {
        seen += b.toString();
        if (!seen.includes('worker ready')) return;
        proc.off('exit', onExit);
        resolve(proc);
      }
    });
  });
}
