import Docker from 'dockerode';
import { KubeConfig } from '@kubernetes/client-node';
import {
  DockerExecutor,
  KubernetesExecutor,
  ProcessExecutor,
  dockerAvailable,
  type Executor,
} from '../activities/executors/index.js';
import { StoreTransfer } from '../activities/executors/kubernetes-transfer.js';
import type { ActivityDeps } from '../activities/deps.js';
import { KubernetesServing } from '../activities/deployments/kubernetes-instance.js';
import type { ArtifactStore } from '../core/artifacts/index.js';
import { S3ArtifactStore } from '../core/artifacts/s3.js';
import { kubernetesConfigured, type Config } from '../core/config.js';
import type { StepPolicy } from '../core/policy/schema.js';
import { stepUsers } from '../core/policy/users.js';

function loadKubeConfig(k: Config['executor']['kubernetes']): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (k.kubeconfig) kubeConfig.loadFromFile(k.kubeconfig);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** Model servers as Deployments and Services, on the same cluster and namespace as steps; else undefined. */
export function kubernetesServing(config: Config['executor'], policy: StepPolicy): KubernetesServing | undefined {
  if (!kubernetesConfigured(config)) return undefined;
  const k = config.kubernetes;
  return new KubernetesServing({
    kubeConfig: loadKubeConfig(k),
    namespace: k.namespace,
    imagePullPolicy: k.imagePullPolicy,
    user: stepUsers(policy).container,
    address: k.servingAddress,
  });
}

/** Jobs on Kubernetes, when SLUICE_EXECUTOR=kubernetes or a kubeconfig is configured; else undefined. */
function kubernetesExecutor(
  config: Config['executor'],
  policy: StepPolicy,
  artifacts: ArtifactStore | undefined,
): Executor | undefined {
  const k = config.kubernetes;
  if (!kubernetesConfigured(config)) return undefined;
  let transfer: StoreTransfer | undefined;
  if (k.transfer === 'store') {
    if (!(artifacts instanceof S3ArtifactStore)) {
      throw new Error('SLUICE_K8S_TRANSFER=store needs the S3 artifact store (SLUICE_S3_BUCKET)');
    }
    transfer = new StoreTransfer(artifacts, { image: k.transferImage });
  }
  const kubeConfig = loadKubeConfig(k);
  return new KubernetesExecutor({
    kubeConfig,
    namespace: k.namespace,
    imagePullPolicy: k.imagePullPolicy,
    user: stepUsers(policy).container,
    transfer,
  });
}

/**
 * Docker when a daemon answers (or when required), local processes always, Kubernetes when
 * configured (the step policy decides who may use which).
 */
export async function buildExecutors(
  config: Config['executor'],
  policy: StepPolicy,
  opts: { toolsDir?: string; artifacts?: ArtifactStore } = {},
): Promise<Pick<ActivityDeps, 'executors' | 'defaultExecutor'>> {
  const users = stepUsers(policy);
  const processExecutor = new ProcessExecutor({ runAs: users.process, toolsDir: opts.toolsDir });
  const kubernetes = kubernetesExecutor(config, policy, opts.artifacts);
  const withK8s = kubernetes ? { kubernetes } : {};
  if (config.kind === 'kubernetes') {
    return { executors: { kubernetes: kubernetes!, process: processExecutor }, defaultExecutor: 'kubernetes' };
  }
  if (config.kind === 'process') {
    return { executors: { process: processExecutor, ...withK8s }, defaultExecutor: 'process' };
  }
  const docker = new Docker();
  const available = await dockerAvailable(docker);
  if (!available && config.kind === 'docker') {
    throw new Error(
      'SLUICE_EXECUTOR=docker but no Docker daemon answers at /var/run/docker.sock; start dockerd or use SLUICE_EXECUTOR=process',
    );
  }
  if (!available) return { executors: { process: processExecutor, ...withK8s }, defaultExecutor: 'process' };
  return {
    executors: {
      docker: new DockerExecutor({ docker, network: config.dockerNetwork, user: users.container }),
      process: processExecutor,
      ...withK8s,
    },
    defaultExecutor: 'docker',
  };
}
