import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PortForward,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1Secret,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../core/temporal/dev-server.js';
import { parseAllDocuments } from 'yaml';
import { APP_IMAGE, buildAppImage } from './support/app-image.js';
import { currentSchema, dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { adminKubeConfig } from './support/k8s.js';
import { testServices, uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';

// deploy/k8s/*.yaml applied to the local test cluster as a user would apply them, with the overrides a
// cluster without registry or in-cluster services needs: the image built here and imported into the
// cluster's containerd (never pulled), host networking (PostgreSQL and Temporal of the tests listen on the
// node's 127.0.0.1), the test services' addresses, one replica each. Then the API answers /readyz through
// the cluster: a port-forward through the apiserver and the kubelet into the API pod.

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const NS = 'sluice';

async function manifests(file: string): Promise<KubernetesObject[]> {
  const text = await readFile(new URL(`../deploy/k8s/${file}`, import.meta.url), 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

describe('deploy/k8s manifests on the local cluster', () => {
  const kc = adminKubeConfig();
  const objects = kc.makeApiClient(KubernetesObjectApi as never) as unknown as KubernetesObjectApi;
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  let pg: OpenedDb;
  const applied: KubernetesObject[] = [];
  let forward: Server | undefined;

  beforeAll(async () => {
    await buildAppImage();
    await run('bash', [`${repo}scripts/k8s-images.sh`], { env: { ...process.env, SLUICE_K8S_IMAGES: APP_IMAGE } });
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
  }, 1_200_000);

  afterAll(async () => {
    forward?.close();
    // The namespaces and the worker's RBAC belong to the cluster's set-up (scripts/k8s-up.sh): they stay.
    for (const o of applied.filter((o) => o.kind !== 'Namespace').reverse())
      if (!['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind!))
        await objects.delete(o, undefined, undefined, undefined, undefined, 'Foreground').catch(() => undefined);
    await pg?.close();
  }, 120_000);

  it('the API and a worker run from them, and the API is ready through the cluster', async () => {
    const schema = await currentSchema(pg.db);
    const port = await freePort();
    const metricsPort = await freePort();
    const overrides: Record<string, string> = {
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: uniqueId('k8s-manifests'),
      SLUICE_WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      SLUICE_DATA_DIR: '/var/tmp/sluice-k8s-manifests',
      // No kube-proxy here, so the in-cluster address of the API server (a Service IP) leads nowhere; on
      // the node's network the worker reaches it where it listens.
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '6443',
    };
    // The pods run as uid 1000; the hostPath data dir is the node's, made here as an operator would.
    await mkdir(overrides.SLUICE_DATA_DIR!, { recursive: true });
    await chmod(overrides.SLUICE_DATA_DIR!, 0o777);
    const docs = [...(await manifests('worker-rbac.yaml')), ...(await manifests('sluice.yaml'))];
    for (const o of docs) {
      if (o.kind === 'ConfigMap') Object.assign((o as V1ConfigMap).data!, overrides);
      if (o.kind === 'Secret')
        (o as V1Secret).stringData = {
          DATABASE_URL: testServices.postgresUrl,
          SLUICE_DB_SCHEMA: schema,
        };
      if (o.kind === 'Deployment') {
        const d = o as V1Deployment;
        d.spec!.replicas = 1;
        const pod = d.spec!.template.spec!;
        pod.hostNetwork = true;
        pod.dnsPolicy = 'ClusterFirstWithHostNet';
        for (const c of pod.containers) {
          c.image = APP_IMAGE;
          c.imagePullPolicy = 'Never';
          // On the node's network, bind where the tests bind: loopback only, on a free port.
          c.env = [
            ...(c.env ?? []).filter((e) => !['SLUICE_HOST', 'SLUICE_PORT'].includes(e.name)),
            { name: 'SLUICE_HOST', value: '127.0.0.1' },
            { name: 'SLUICE_PORT', value: String(port) },
          ];
          if (c.ports) for (const p of c.ports) if (p.name === 'http') p.containerPort = port;
          if (c.ports) for (const p of c.ports) if (p.name === 'metrics') p.containerPort = metricsPort;
          for (const probe of [c.readinessProbe, c.livenessProbe])
            if (probe?.httpGet) probe.httpGet = { ...probe.httpGet, host: '127.0.0.1' };
        }
        for (const v of pod.volumes ?? [])
          if (v.hostPath) v.hostPath = { path: overrides.SLUICE_DATA_DIR!, type: 'DirectoryOrCreate' };
        for (const c of pod.containers)
          for (const m of c.volumeMounts ?? []) if (m.name === 'data') m.mountPath = overrides.SLUICE_DATA_DIR!;
      }
      if (o.kind === 'Service') {
        for (const p of (o as { spec: { ports: Array<{ targetPort?: unknown }> } }).spec.ports) p.targetPort = port;
      }
    }
    for (const o of docs) {
      // Server-side apply semantics by hand: create, or replace what a previous run left.
      const exists = await objects.read(o as never).then(
        () => true,
        () => false,
      );
      if (exists) await objects.replace(o).catch(() => objects.patch(o));
      else await objects.create(o);
      applied.push(o);
    }

    const ready = async (name: string) => {
      const d = await apps.readNamespacedDeployment({ name, namespace: NS });
      return (d.status?.readyReplicas ?? 0) >= 1 && (d.status?.updatedReplicas ?? 0) >= 1;
    };
    const describePods = async () =>
      JSON.stringify(
        (await core.listNamespacedPod({ namespace: NS })).items.map((p) => ({
          name: p.metadata?.name,
          phase: p.status?.phase,
          containers: p.status?.containerStatuses?.map((c) => ({ state: c.state, restarts: c.restartCount })),
        })),
      );
    let last = '';
    await waitFor(
      () => `sluice-api and sluice-worker to be ready; pods: ${last}`,
      async () => {
        last = await describePods();
        return (await ready('sluice-api')) && (await ready('sluice-worker'));
      },
      240_000,
    );

    // /readyz through the cluster: a local port forwarded by the apiserver and kubelet into the API pod.
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app.kubernetes.io/component=api' });
    const pod = pods.items.find((p) => p.status?.phase === 'Running')!.metadata!.name!;
    const pf = new PortForward(kc);
    forward = createServer((socket) => void pf.portForward(NS, pod, [port], socket, null, socket));
    await new Promise<void>((r) => forward!.listen(0, '127.0.0.1', r));
    const local = (forward.address() as AddressInfo).port;
    const res = await waitFor(
      '/readyz through the port-forward',
      () =>
        fetch(`http://127.0.0.1:${local}/readyz`).then(
          (r) => (r.ok ? r : undefined),
          () => undefined,
        ),
      60_000,
    );
    expect(res.status).toBe(200);
  }, 600_000);
});
