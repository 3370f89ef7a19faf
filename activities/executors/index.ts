import Docker from 'dockerode';
import { DockerExecutor, type DockerExecutorOptions } from './docker.js';
import { ProcessExecutor, type ProcessExecutorOptions } from './process.js';
import type { Executor } from './types.js';

export { DockerExecutor, type DockerExecutorOptions } from './docker.js';
export { ProcessExecutor, type ProcessExecutorOptions } from './process.js';
export * from './types.js';

export type ExecutorKind = 'docker' | 'process';
export type ExecutorOptions = DockerExecutorOptions & ProcessExecutorOptions;

export function createExecutor(kind: ExecutorKind, opts: ExecutorOptions = {}): Executor {
  switch (kind) {
    case 'docker':
      return new DockerExecutor(opts);
    case 'process':
      return new ProcessExecutor(opts);
    default:
      throw new Error(`unknown executor kind "${String(kind)}"`);
  }
}

/** True when a Docker daemon answers a ping within timeoutMs (default 2 s). */
export async function dockerAvailable(docker: Docker = new Docker(), timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = docker.ping().then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
