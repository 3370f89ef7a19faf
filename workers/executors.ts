import Docker from 'dockerode';
import { DockerExecutor, ProcessExecutor, dockerAvailable } from '../activities/executors/index.js';
import type { ActivityDeps } from '../activities/deps.js';
import type { Config } from '../core/config.js';

/** Docker when a daemon answers (or when required), local processes always. */
export async function buildExecutors(
  config: Config['executor'],
  opts: { toolsDir?: string } = {},
): Promise<Pick<ActivityDeps, 'executors' | 'defaultExecutor'>> {
  const processExecutor = new ProcessExecutor({ toolsDir: opts.toolsDir });
  if (config.kind === 'process') return { executors: { process: processExecutor }, defaultExecutor: 'process' };
  const docker = new Docker();
  const available = await dockerAvailable(docker);
  if (!available && config.kind === 'docker') {
    throw new Error(
      'SLUICE_EXECUTOR=docker but no Docker daemon answers at /var/run/docker.sock; start dockerd or use SLUICE_EXECUTOR=process',
    );
  }
  if (!available) return { executors: { process: processExecutor }, defaultExecutor: 'process' };
  return {
    executors: { docker: new DockerExecutor({ docker, network: config.dockerNetwork }), process: processExecutor },
    defaultExecutor: 'docker',
  };
}
