import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  Log,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import type { InstanceRef } from '../../core/deployments/instance.js';
import { DEFAULT_K8S_NAMESPACE } from '../executors/kubernetes.js';
import type { ImagePullPolicy } from '../executors/kubernetes-job.js';
import {
  SERVER_CONTAINER,
  SERVICE_PORT,
  SERVING_K8S_ANNOTATIONS,
  servingDeployment,
  servingLabels,
  servingObjectName,
  servingService,
  servingUrl,
  type ServingAddress,
  type ServingObjectsInput,
} from './kubernetes-objects.js';

export interface KubernetesServingOptions {
  kubeConfig: KubeConfig;
  /** Default: the kubeconfig context's namespace, else sluice-steps (where steps run too). */
  namespace?: string;
  imagePullPolicy?: ImagePullPolicy;
  /** The step policy's user; null when the policy allows root (the image's own user). */
  user: { uid: number; gid: number } | null;
  address: ServingAddress;
}

/** What no retry fixes: the API server rejected the objects, or the worker's Role forbids them. */
export class InvalidServingObject extends Error {}

type Ref = Pick<InstanceRef, 'deployment' | 'version' | 'dir'>;

const status = (err: unknown) => (err instanceof ApiException ? err.code : undefined);

function messageOf(err: unknown): string {
  if (err instanceof ApiException) {
    try {
      const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as { message?: unknown };
      if (typeof body?.message === 'string') return body.message;
    } catch {
      // not JSON
    }
  }
  return err instanceof Error ? err.message : String(err);
}

function apiError(err: unknown, what: string): Error {
  const code = status(err);
  if (code === 400 || code === 422)
    return new InvalidServingObject(`Kubernetes rejected the ${what}: ${messageOf(err)}`);
  if (code === 401 || code === 403)
    return new InvalidServingObject(
      `Kubernetes refused to ${what}: ${messageOf(err)} (see deploy/k8s/worker-rbac.yaml)`,
    );
  return new Error(`Kubernetes API (${what}): ${messageOf(err)}`);
}

/** Waiting reasons that mean the server will not come up by waiting longer. */
const HOPELESS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Model servers as a Deployment plus a Service per (deployment, version) in one namespace, with the
 * rights of deploy/k8s/worker-rbac.yaml. The objects' name is the lock: a start retried after the
 * worker died finds them and adopts them.
 */
export class KubernetesServing {
  readonly namespace: string;
  readonly address: ServingAddress;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly log: Log;
  private readonly followed = new Set<string>();

  constructor(private readonly opts: KubernetesServingOptions) {
    const kc = opts.kubeConfig;
    this.namespace = opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? DEFAULT_K8S_NAMESPACE;
    this.address = opts.address;
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.log = new Log(kc);
  }

  private async readDeployment(name: string): Promise<V1Deployment | undefined> {
    try {
      return await this.apps.readNamespacedDeployment({ name, namespace: this.namespace });
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw apiError(err, `read Deployment ${name}`);
    }
  }

  /**
   * The instance's Deployment when it exists and is not being deleted, with its URL. One of the same
   * name made for another instance directory (another installation) is not ours to adopt.
   */
  async find(ref: Ref): Promise<{ name: string; url: string; port: number } | undefined> {
    const name = servingObjectName(ref.deployment, ref.version);
    const d = await this.readDeployment(name);
    if (!d || d.metadata?.deletionTimestamp) return undefined;
    const annotations = d.metadata?.annotations ?? {};
    if (annotations[SERVING_K8S_ANNOTATIONS.dir] !== ref.dir)
      throw new InvalidServingObject(
        `Deployment ${name} in namespace ${this.namespace} belongs to another Sluice installation (instance directory ${annotations[SERVING_K8S_ANNOTATIONS.dir] ?? 'unknown'})`,
      );
    const port = Number(annotations[SERVING_K8S_ANNOTATIONS.port]) || SERVICE_PORT;
    return { name, port, url: servingUrl(name, this.namespace, this.address, port) };
  }

  /** The port the server listens on: SERVICE_PORT in its own network, else the free loopback port given. */
  portFor(freeLoopbackPort: number): number {
    return this.address === 'node-loopback' ? freeLoopbackPort : SERVICE_PORT;
  }

  /**
   * Creates the Service and the Deployment (or adopts what an earlier attempt created: a 409 means
   * the name is taken, and find() says by what). Returns the URL the gateway uses.
   */
  async start(
    s: Omit<ServingObjectsInput, 'namespace' | 'imagePullPolicy' | 'user' | 'address'>,
  ): Promise<{ name: string; url: string; adopted: boolean }> {
    await this.waitGone(s.ref);
    const full: ServingObjectsInput = {
      ...s,
      namespace: this.namespace,
      imagePullPolicy: this.opts.imagePullPolicy ?? 'IfNotPresent',
      user: this.opts.user,
      address: this.address,
    };
    const name = servingObjectName(s.ref.deployment, s.ref.version);
    await this.ensureService(full);
    try {
      await this.apps.createNamespacedDeployment({ namespace: this.namespace, body: servingDeployment(full) });
    } catch (err) {
      if (status(err) !== 409) throw apiError(err, `create Deployment ${name} in namespace ${this.namespace}`);
      const existing = await this.find(s.ref);
      if (existing) return { name, url: existing.url, adopted: true };
      throw new Error(`Deployment ${name} is being deleted; retry`, { cause: err });
    }
    return { name, url: servingUrl(name, this.namespace, this.address, s.port), adopted: false };
  }

  private async ensureService(s: Parameters<typeof servingService>[0]): Promise<void> {
    try {
      await this.core.createNamespacedService({ namespace: this.namespace, body: servingService(s) });
    } catch (err) {
      if (status(err) !== 409)
        throw apiError(err, `create Service ${servingObjectName(s.ref.deployment, s.ref.version)}`);
    }
  }

  /** Adopting an instance: its Service too (an attempt may have died between the two creates). */
  async adoptService(ref: Ref, port: number): Promise<void> {
    await this.ensureService({ ref, namespace: this.namespace, port });
  }

  /** Deletes the Deployment (foreground: its pods first) and the Service, and waits until they are gone. */
  async stop(ref: Pick<InstanceRef, 'deployment' | 'version'>): Promise<number> {
    const name = servingObjectName(ref.deployment, ref.version);
    let found = 0;
    try {
      await this.apps.deleteNamespacedDeployment({ name, namespace: this.namespace, propagationPolicy: 'Foreground' });
      found++;
    } catch (err) {
      if (status(err) !== 404) throw apiError(err, `delete Deployment ${name}`);
    }
    try {
      await this.core.deleteNamespacedService({ name, namespace: this.namespace });
    } catch (err) {
      if (status(err) !== 404) throw apiError(err, `delete Service ${name}`);
    }
    await this.waitGone(ref);
    return found;
  }

  /** A Deployment being deleted holds its name until its pods are gone; a new start waits for that. */
  private async waitGone(ref: Pick<InstanceRef, 'deployment' | 'version'>, timeoutMs = 90_000): Promise<void> {
    const name = servingObjectName(ref.deployment, ref.version);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const d = await this.readDeployment(name);
      if (!d || !d.metadata?.deletionTimestamp) return;
      if (Date.now() > until) throw new Error(`Deployment ${name} is still being deleted after ${timeoutMs / 1000} s`);
      await sleep(500);
    }
  }

  private async pods(ref: Pick<InstanceRef, 'deployment' | 'version'>): Promise<V1Pod[]> {
    const selector = Object.entries(servingLabels(ref.deployment, ref.version))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    try {
      return (await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: selector })).items;
    } catch (err) {
      throw apiError(err, `list the pods of ${servingObjectName(ref.deployment, ref.version)}`);
    }
  }

  /**
   * Why the server will not become ready by waiting, if it will not: its Deployment is gone, its pod
   * cannot be scheduled, its image cannot be had, or its container exited (Deployments restart it,
   * so a restart is the exit). Undefined while it may still come up.
   */
  async problem(ref: Ref): Promise<string | undefined> {
    const name = servingObjectName(ref.deployment, ref.version);
    const d = await this.readDeployment(name);
    if (!d || d.metadata?.deletionTimestamp) return `the server's Deployment ${name} is gone`;
    for (const pod of await this.pods(ref)) {
      if (pod.metadata?.deletionTimestamp) continue;
      const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
        return `no node can run the server's pod: ${scheduled.message ?? 'Unschedulable'}`;
      const cs = pod.status?.containerStatuses?.find((c) => c.name === SERVER_CONTAINER);
      const waiting = cs?.state?.waiting;
      if (waiting?.reason && HOPELESS.has(waiting.reason))
        return `the server's container cannot start (${waiting.reason}): ${waiting.message ?? ''}`.trim();
      const exited = cs?.lastState?.terminated ?? cs?.state?.terminated;
      if (exited) return `the server exited with code ${exited.exitCode}${exited.reason ? ` (${exited.reason})` : ''}`;
    }
    return undefined;
  }

  /**
   * Appends the server's output to the instance's log while its Deployment exists: each container
   * of its pods (a restart is a new one) is followed from its start, or from now for one that ran
   * before this worker (an adopted instance). One follower per instance per worker process.
   */
  followLogs(ref: Ref, logFile: string, opts: { fromNow: boolean }): void {
    const key = `${ref.deployment}/${ref.version}/${ref.dir}`;
    if (this.followed.has(key)) return;
    this.followed.add(key);
    // Released as soon as the Deployment goes, so that a new one of the same version (a rollback) is followed.
    const release = () => this.followed.delete(key);
    void this.followLoop(ref, logFile, opts.fromNow, release).finally(release);
  }

  private async followLoop(ref: Ref, logFile: string, fromNow: boolean, release: () => void): Promise<void> {
    await mkdir(path.dirname(logFile), { recursive: true });
    const out = createWriteStream(logFile, { flags: 'a' });
    out.on('error', () => undefined); // the log is a convenience: a full disk must not end the worker
    const seen = new Set<string>();
    const streams: AbortController[] = [];
    const name = servingObjectName(ref.deployment, ref.version);
    try {
      for (let misses = 0; misses < 5;) {
        const d = await this.readDeployment(name).catch(() => null);
        if (d === undefined || d?.metadata?.deletionTimestamp) break;
        misses = d === null ? misses + 1 : 0;
        for (const pod of d ? await this.pods(ref).catch(() => [] as V1Pod[]) : []) {
          const cs = pod.status?.containerStatuses?.find((c) => c.name === SERVER_CONTAINER);
          const container = `${pod.metadata?.uid}/${cs?.restartCount ?? 0}`;
          if (!cs?.state?.running || seen.has(container)) continue;
          seen.add(container);
          const sink = new Writable({
            write(chunk: Buffer, _encoding, callback) {
              if (out.writableEnded) return callback();
              out.write(chunk, () => callback());
            },
          });
          sink.on('error', () => undefined); // a broken stream: the next container is followed anyway
          const stream = await this.log
            .log(this.namespace, pod.metadata!.name!, SERVER_CONTAINER, sink, {
              follow: true,
              ...(fromNow ? { sinceSeconds: 1 } : {}),
            })
            .catch(() => undefined); // the container went away meanwhile: the next one is followed
          if (stream) streams.push(stream);
        }
        fromNow = false;
        await sleep(1_000);
      }
      release();
      // Being deleted: the server's last words (it gets SIGTERM) still have a moment to arrive.
      await sleep(2_000);
    } finally {
      for (const s of streams) s.abort();
      out.end();
    }
  }
}
