import Docker from 'dockerode';

export { DockerExecutor, type DockerExecutorOptions } from './docker.js';
export { KubernetesExecutor, type KubernetesExecutorOptions } from './kubernetes.js';
export { ProcessExecutor, type ProcessExecutorOptions } from './process.js';
export * from './types.js';

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
