import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { SERVING_K8S_LABELS } from '../../activities/deployments/kubernetes-objects.js';
import { labelValue } from '../../activities/executors/kubernetes-names.js';
import { adminKubeConfig, k8sDir, K8S_TEST_NAMESPACE } from './k8s.js';

// Looking behind the worker's back at model servers on the local cluster (admin credentials).

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The cluster as the serving tests need it, whatever state scripts/test-services.sh left: this
 * tree's worker Role (deployments and services) and the server image in containerd (both idempotent).
 */
export async function prepareServingCluster(image: string): Promise<void> {
  adminKubeConfig(); // a clear message when the cluster was never set up
  const admin = path.join(k8sDir, 'conf', 'admin.kubeconfig');
  await run('node', [`${repo}scripts/k8s-apply.mjs`, admin, `${repo}deploy/k8s/worker-rbac.yaml`]);
  await run('bash', [`${repo}scripts/k8s-images.sh`], { env: { ...process.env, SLUICE_K8S_IMAGES: image } });
}

const clients = () => {
  const kc = adminKubeConfig();
  return { apps: kc.makeApiClient(AppsV1Api), core: kc.makeApiClient(CoreV1Api) };
};

const selector = (deployment: string) => `${SERVING_K8S_LABELS.deployment}=${labelValue(deployment)}`;

/** The Deployments, Services and pods of a Sluice deployment (every version), including those being deleted. */
export async function servingObjects(deployment: string) {
  const { apps, core } = clients();
  const labelSelector = selector(deployment);
  const [deployments, services, pods] = await Promise.all([
    apps.listNamespacedDeployment({ namespace: K8S_TEST_NAMESPACE, labelSelector }),
    core.listNamespacedService({ namespace: K8S_TEST_NAMESPACE, labelSelector }),
    core.listNamespacedPod({ namespace: K8S_TEST_NAMESPACE, labelSelector }),
  ]);
  return { deployments: deployments.items, services: services.items, pods: pods.items };
}

/** The model versions that still have a Deployment or a Service. */
export async function servedVersions(deployment: string): Promise<string[]> {
  const { deployments, services, pods } = await servingObjects(deployment);
  const versions = [...deployments, ...services, ...pods].map((o) => o.metadata!.labels![SERVING_K8S_LABELS.version]!);
  return [...new Set(versions)].sort();
}

/** Removes every object of the deployment, for afterAll. */
export async function deleteServingObjects(deployment: string): Promise<void> {
  const { apps, core } = clients();
  const { deployments, services } = await servingObjects(deployment);
  for (const d of deployments)
    await apps
      .deleteNamespacedDeployment({
        name: d.metadata!.name!,
        namespace: K8S_TEST_NAMESPACE,
        propagationPolicy: 'Foreground',
      })
      .catch(() => undefined);
  for (const s of services)
    await core
      .deleteNamespacedService({ name: s.metadata!.name!, namespace: K8S_TEST_NAMESPACE })
      .catch(() => undefined);
}
