import Docker from 'dockerode';
import { DockerExecutor, ProcessExecutor, dockerAvailable } from '../activities/executors/index.js';
import type { ActivityDeps } from '../activities/deps.js';
import type { Config } from '../core/config.js';
import type { StepPolicy } from '../core/policy/schema.js';

/**
 * Who steps run as. Containers: the policy's user unless it allows root (then the image's own
 * user). Local processes: the same drop, but only a root worker can switch users; a worker that
 * is not root runs steps as itself, which is no more than it already is. The embedded stack runs
 * them as the person who started it (processAsWorker).
 */
function stepUsers(policy: StepPolicy) {
  const rootWorker = process.getuid?.() === 0;
  return {
    container: policy.allowRoot ? null : policy.user,
    process: rootWorker && !policy.allowRoot && !policy.processAsWorker ? policy.user : undefined,
  };
}

/** Docker when a daemon answers (or when required), local processes always (the step policy decides who may use them). */
export async function buildExecutors(
  config: Config['executor'],
  policy: StepPolicy,
  opts: { toolsDir?: string } = {},
): Promise<Pick<ActivityDeps, 'executors' | 'defaultExecutor'>> {
  const users = stepUsers(policy);
  const processExecutor = new ProcessExecutor({ runAs: users.process, toolsDir: opts.toolsDir });
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
    executors: {
      docker: new DockerExecutor({ docker, network: config.dockerNetwork, user: users.container }),
      process: processExecutor,
    },
    defaultExecutor: 'docker',
  };
}
