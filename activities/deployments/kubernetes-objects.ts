import { createHash } from 'node:crypto';
import type { V1Deployment, V1EnvVar, V1Service, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ImagePullPolicy } from '../executors/kubernetes-job.js';
import { labelValue } from '../executors/kubernetes-names.js';
import { servingEnv, type InstanceRef } from '../../core/deployments/instance.js';
import { parseMemoryBytes } from '../../core/pipeline/units.js';
import { CONTAINER_CODE_DIR, CONTAINER_MODEL_DIR } from './docker-instance.js';

// A model server on Kubernetes: one apps/v1 Deployment (one replica) and one Service per
// (deployment, model version), named from both so that a retried start finds what it created.

export const SERVING_K8S_LABELS = {
  deployment: 'sluice.dev/deployment',
  version: 'sluice.dev/model-version',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;
/** Exact values that labels cannot hold, and what adoption checks. */
export const SERVING_K8S_ANNOTATIONS = {
  deployment: 'sluice.dev/deployment-name',
  dir: 'sluice.dev/instance-dir',
  port: 'sluice.dev/port',
} as const;
export const SERVER_CONTAINER = 'server';

/**
 * How the gateway reaches a version. `service`: the Service's cluster DNS name (the API runs in the
 * cluster). `node-loopback`: a hostNetwork pod bound to a free 127.0.0.1 port of the node, for a
 * worker and API on that node (a cluster without kube-proxy or DNS, as the local one).
 */
export type ServingAddress = 'service' | 'node-loopback';
export const SERVING_ADDRESSES = ['service', 'node-loopback'] as const;
/** The server's port in `service` mode (its own network namespace: every pod can use the same). */
export const SERVICE_PORT = 8080;

const MAX_NAME = 63;
const HASH_CHARS = 10;

/**
 * `sluice-<deployment>-v<version>` when it fits a DNS-1035 label (Services need one), else the
 * deployment cut short and a hash of (deployment, version): deterministic, and never shared.
 */
export function servingObjectName(deployment: string, version: number): string {
  const plain = `sluice-${deployment}-v${version}`;
  if (plain.length <= MAX_NAME && !deployment.endsWith('-')) return plain;
  const hash = createHash('sha256')
    .update(JSON.stringify([deployment, version]))
    .digest('hex')
    .slice(0, HASH_CHARS);
  const tail = `-v${version}-${hash}`;
  const room = MAX_NAME - 'sluice-'.length - tail.length;
  return `sluice-${deployment.slice(0, room).replace(/-+$/, '')}${tail}`;
}

export function servingLabels(deployment: string, version: number): Record<string, string> {
  return {
    [SERVING_K8S_LABELS.deployment]: labelValue(deployment),
    [SERVING_K8S_LABELS.version]: String(version),
    [SERVING_K8S_LABELS.managedBy]: 'sluice',
  };
}

export interface ServingObjectsInput {
  ref: Pick<InstanceRef, 'deployment' | 'model' | 'version' | 'dir'>;
  namespace: string;
  image: string;
  imagePullPolicy: ImagePullPolicy;
  command: string[];
  env: Record<string, string>;
  address: ServingAddress;
  /** The server's port: a free loopback port of the node (node-loopback), SERVICE_PORT otherwise. */
  port: number;
  /** On the node's disk (the worker shares the node): mounted read-only at /sluice/model. */
  modelDir: string;
  codeDir?: string;
  resources?: { cpu?: number; memory?: string };
  /** The step policy's user; null: the image's own (the policy allows root). */
  user: { uid: number; gid: number } | null;
}

/** The URL the gateway, the readiness wait and the smoke request use for the version. */
export function servingUrl(name: string, namespace: string, address: ServingAddress, port: number): string {
  return address === 'node-loopback' ? `http://127.0.0.1:${port}` : `http://${name}.${namespace}.svc:${port}`;
}

/** Requests equal limits, as for steps: what the server asks for is what it is held to. */
function resources(r: ServingObjectsInput['resources']) {
  const limits: Record<string, string> = {};
  if (r?.cpu) limits.cpu = `${Math.max(1, Math.round(r.cpu * 1000))}m`;
  const memory = r?.memory ? parseMemoryBytes(r.memory) : undefined;
  if (memory) limits.memory = String(memory);
  return Object.keys(limits).length > 0 ? { requests: { ...limits }, limits } : undefined;
}

export function servingDeployment(s: ServingObjectsInput): V1Deployment {
  const name = servingObjectName(s.ref.deployment, s.ref.version);
  const labels = servingLabels(s.ref.deployment, s.ref.version);
  const loopback = s.address === 'node-loopback';
  const env: V1EnvVar[] = Object.entries({
    ...servingEnv(s.ref, s.env, CONTAINER_MODEL_DIR, s.port),
    // A pod of its own network is reached on its pod IP; a hostNetwork one only on the node's loopback.
    SLUICE_BIND_ADDRESS: loopback ? '127.0.0.1' : '0.0.0.0',
  }).map(([k, v]) => ({ name: k, value: v }));
  const volumes: V1Volume[] = [{ name: 'model', hostPath: { path: s.modelDir, type: 'Directory' } }];
  const mounts: V1VolumeMount[] = [{ name: 'model', mountPath: CONTAINER_MODEL_DIR, readOnly: true }];
  if (s.codeDir) {
    volumes.push({ name: 'code', hostPath: { path: s.codeDir, type: 'Directory' } });
    mounts.push({ name: 'code', mountPath: CONTAINER_CODE_DIR, readOnly: true });
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: s.namespace,
      labels,
      annotations: {
        [SERVING_K8S_ANNOTATIONS.deployment]: s.ref.deployment,
        [SERVING_K8S_ANNOTATIONS.dir]: s.ref.dir,
        [SERVING_K8S_ANNOTATIONS.port]: String(s.port),
      },
    },
    spec: {
      replicas: 1,
      // One version per Deployment, never updated in place: nothing to roll, and a node-loopback
      // port must be free before a replacement pod binds it.
      strategy: { type: 'Recreate' },
      revisionHistoryLimit: 0,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          // A model server needs no Kubernetes credentials and no service environment variables.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 5,
          hostNetwork: loopback ? true : undefined,
          securityContext: s.user ? { runAsUser: s.user.uid, runAsGroup: s.user.gid, runAsNonRoot: true } : undefined,
          containers: [
            {
              name: SERVER_CONTAINER,
              image: s.image,
              imagePullPolicy: s.imagePullPolicy,
              command: s.command,
              env,
              workingDir: s.codeDir ? CONTAINER_CODE_DIR : undefined,
              ports: [{ name: 'http', containerPort: s.port }],
              // The kubelet's view (pod Ready, Service endpoints); the rollout still checks the version itself.
              readinessProbe: {
                httpGet: { path: '/ready', port: s.port, ...(loopback ? { host: '127.0.0.1' } : {}) },
                periodSeconds: 2,
                timeoutSeconds: 2,
                failureThreshold: 3,
              },
              volumeMounts: mounts,
              resources: resources(s.resources),
              securityContext: { privileged: false, allowPrivilegeEscalation: false },
            },
          ],
          volumes,
        },
      },
    },
  };
}

export function servingService(s: {
  ref: Pick<InstanceRef, 'deployment' | 'version'>;
  namespace: string;
  port: number;
}): V1Service {
  const labels = servingLabels(s.ref.deployment, s.ref.version);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: servingObjectName(s.ref.deployment, s.ref.version),
      namespace: s.namespace,
      labels,
      annotations: { [SERVING_K8S_ANNOTATIONS.deployment]: s.ref.deployment },
    },
    spec: {
      type: 'ClusterIP',
      selector: labels,
      ports: [{ name: 'http', port: s.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}
