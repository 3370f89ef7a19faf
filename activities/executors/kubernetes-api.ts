import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import { ExecutorError } from './types.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EPIPE']);

export function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    const text = typeof body === 'string' ? body : undefined;
    try {
      const parsed = (text ? JSON.parse(text) : body) as { message?: unknown } | undefined;
      if (typeof parsed?.message === 'string') return parsed.message;
    } catch {
      // not JSON: the text itself
    }
    return text ?? err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * What an API failure means for the step: an unreachable or refusing API server is the
 * infrastructure's fault (retryable); a Job the API rejects as invalid is the step's (not).
 */
export function mapApiError(err: unknown, what: string): unknown {
  if (err instanceof ExecutorError) return err;
  const status = statusOf(err);
  if (status === 401 || status === 403) {
    return new ExecutorError('EngineUnavailable', `Kubernetes refused to ${what}: ${messageOf(err)}`);
  }
  if (status === 422 || status === 400) {
    return new ExecutorError('InvalidRequest', `Kubernetes rejected the step's Job: ${messageOf(err)}`);
  }
  const code = (err as { code?: unknown; cause?: { code?: unknown } } | null)?.code;
  const causeCode = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    (typeof causeCode === 'string' && NETWORK_CODES.has(causeCode)) ||
    (status !== undefined && status >= 500) ||
    /ECONNREFUSED|socket hang up|request to .* failed/.test(messageOf(err))
  ) {
    return new ExecutorError(
      'EngineUnavailable',
      `the Kubernetes API server is not reachable (${what}): ${messageOf(err)}`,
    );
  }
  return err;
}

/** The few calls the executor makes, in one namespace, each needing only the Role in deploy/k8s. */
export class JobsApi {
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;

  constructor(
    readonly kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async readJob(name: string): Promise<V1Job | undefined> {
    try {
      return await this.batch.readNamespacedJob({ name, namespace: this.namespace });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw mapApiError(err, `read Job ${name}`);
    }
  }

  /** undefined: a Job of that name exists already (another worker, or an earlier attempt). */
  async createJob(job: V1Job): Promise<V1Job | undefined> {
    try {
      return await this.batch.createNamespacedJob({ namespace: this.namespace, body: job });
    } catch (err) {
      if (statusOf(err) === 409) return undefined;
      throw mapApiError(err, `create Jobs in namespace ${this.namespace}`);
    }
  }

  async resumeJob(name: string): Promise<void> {
    try {
      await this.batch.patchNamespacedJob(
        { name, namespace: this.namespace, body: { spec: { suspend: false } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      throw mapApiError(err, `resume Job ${name}`);
    }
  }

  /** Deletes the Job and, first, its pods (foreground propagation); already gone is fine. */
  async deleteJob(name: string): Promise<void> {
    try {
      await this.batch.deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy: 'Foreground' });
    } catch (err) {
      if (statusOf(err) !== 404) throw mapApiError(err, `delete Job ${name}`);
    }
  }

  async podsOf(name: string): Promise<V1Pod[]> {
    try {
      const list = await this.core.listNamespacedPod({
        namespace: this.namespace,
        labelSelector: `batch.kubernetes.io/job-name=${name}`,
      });
      return list.items;
    } catch (err) {
      throw mapApiError(err, `list the pods of Job ${name}`);
    }
  }

  /** Deletes the Job's pods with the given grace (0: SIGKILL now); errors are ignored, the caller waits anyway. */
  async deletePods(name: string, gracePeriodSeconds: number): Promise<void> {
    const pods = await this.podsOf(name).catch(() => [] as V1Pod[]);
    await Promise.all(
      pods.map((p) =>
        this.core
          .deleteNamespacedPod({ name: p.metadata!.name!, namespace: this.namespace, gracePeriodSeconds })
          .catch(() => undefined),
      ),
    );
  }
}
