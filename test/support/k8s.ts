import { existsSync } from 'node:fs';
import path from 'node:path';
import { BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from '@kubernetes/client-node';
import { K8S_LABELS, labelValue } from '../../activities/executors/kubernetes-names.js';

/**
 * The local cluster of scripts/k8s-up.sh (started by scripts/test-services.sh). The executor under
 * test uses the sluice-worker ServiceAccount's kubeconfig, as a worker would; the admin one is
 * only for fixtures the worker may not touch (Secrets) and for looking behind its back.
 */
export const k8sDir = process.env.SLUICE_TEST_K8S_DIR ?? '/var/tmp/sluice-services/k8s';
export const K8S_TEST_NAMESPACE = 'sluice-steps';
export const workerKubeconfigPath = path.join(k8sDir, 'conf', 'sluice-worker.kubeconfig');
const adminKubeconfigPath = path.join(k8sDir, 'conf', 'admin.kubeconfig');

function load(file: string): KubeConfig {
  if (!existsSync(file)) {
    throw new Error(
      `no kubeconfig at ${file}: start the local cluster with \`bash scripts/test-services.sh\` (as root)`,
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

export const workerKubeConfig = () => load(workerKubeconfigPath);
export const adminKubeConfig = () => load(adminKubeconfigPath);

const admin = () => {
  const kc = adminKubeConfig();
  return { batch: kc.makeApiClient(BatchV1Api), core: kc.makeApiClient(CoreV1Api) };
};

/** The Jobs of one run (any state), by its label. */
export async function jobsOf(runId: string): Promise<V1Job[]> {
  const list = await admin().batch.listNamespacedJob({
    namespace: K8S_TEST_NAMESPACE,
    labelSelector: `${K8S_LABELS.run}=${labelValue(runId)}`,
  });
  return list.items;
}

/** The pods of one run, including those being deleted. */
export async function podsOf(runId: string) {
  const list = await admin().core.listNamespacedPod({
    namespace: K8S_TEST_NAMESPACE,
    labelSelector: `${K8S_LABELS.run}=${labelValue(runId)}`,
  });
  return list.items;
}

/** Resolves once nothing of the run is left in the cluster (Jobs go after their pods: foreground). */
export async function runGone(runId: string): Promise<true | undefined> {
  const [jobs, pods] = await Promise.all([jobsOf(runId), podsOf(runId)]);
  return jobs.length === 0 && pods.length === 0 ? true : undefined;
}

/** The run's pod whose step container is running, if any. */
export async function runningPod(runId: string) {
  return (await podsOf(runId)).find((p) =>
    p.status?.containerStatuses?.some((c) => c.name === 'step' && c.state?.running),
  );
}

export async function createSecret(name: string, data: Record<string, string>): Promise<void> {
  await admin().core.createNamespacedSecret({
    namespace: K8S_TEST_NAMESPACE,
    body: { metadata: { name }, stringData: data },
  });
}

export async function deleteSecret(name: string): Promise<void> {
  await admin()
    .core.deleteNamespacedSecret({ name, namespace: K8S_TEST_NAMESPACE })
    .catch(() => undefined);
}
