import type Docker from 'dockerode';
import { DEFAULT_STEP_USER } from '../../core/policy/schema.js';
import { containerName, stepLabels } from './docker-names.js';
import { stepEnv, type StepUser, type stepDirs } from './step-env.js';
import type { StepRunRequest } from './types.js';

export const IN_CONTAINER = { inputs: '/sluice/inputs', outputs: '/sluice/outputs', code: '/sluice/code' } as const;

/**
 * The container of one step. It is created from the image id, not the tag, so it runs exactly
 * the image whose digest is reported. Mounts (not Binds) so host paths may contain ":" or ",".
 */
export function containerSpec(
  req: StepRunRequest,
  imageId: string,
  dirs: ReturnType<typeof stepDirs>,
  network: 'none' | 'host',
  user: StepUser | null = DEFAULT_STEP_USER,
): Docker.ContainerCreateOptions {
  const { cpu, memoryMb, gpus = 0 } = req.resources;
  const code = req.codeDir !== undefined;
  const env = stepEnv(req, IN_CONTAINER.inputs, IN_CONTAINER.outputs, code ? IN_CONTAINER.code : undefined);
  return {
    name: containerName(req.runId, req.stepId),
    Image: imageId,
    // Like Kubernetes: a command replaces the image's entrypoint, args replace its cmd.
    Entrypoint: req.command.length > 0 ? req.command : undefined,
    Cmd: req.command.length > 0 || req.args.length > 0 ? req.args : undefined,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: stepLabels(req.runId, req.stepId, req.attempt),
    Tty: false,
    // The image is the environment; the pipeline's code is the working directory.
    WorkingDir: code ? IN_CONTAINER.code : undefined,
    // null: the image's own user, which the step policy only allows with allowRoot.
    ...(user ? { User: `${user.uid}:${user.gid}` } : {}),
    HostConfig: {
      NetworkMode: req.network ?? network,
      // Never privileged, and no setuid way back to root from the step's user.
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      Mounts: [
        { Type: 'bind', Source: dirs.inputs, Target: IN_CONTAINER.inputs, ReadOnly: true },
        { Type: 'bind', Source: dirs.outputs, Target: IN_CONTAINER.outputs },
        ...(code ? [{ Type: 'bind' as const, Source: req.codeDir!, Target: IN_CONTAINER.code, ReadOnly: true }] : []),
      ],
      NanoCpus: cpu ? Math.round(cpu * 1e9) : undefined,
      Memory: memoryMb ? Math.round(memoryMb * 1024 * 1024) : undefined,
      DeviceRequests: gpus > 0 ? [{ Driver: 'nvidia', Count: gpus, Capabilities: [['gpu']] }] : undefined,
    },
  };
}
