import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { FETCH_CONTAINER, STEP_CONTAINER } from './kubernetes-job.js';
import { ExecutorError } from './types.js';

/** Where a step's pod is, as the executor acts on it. */
export type PodView =
  | { phase: 'pending' }
  | { phase: 'running'; pod: string; imageId?: string }
  | { phase: 'exited'; pod: string; exitCode: number; reason?: string; message?: string; imageId?: string };

/**
 * Waiting reasons that fail the step at once. A pull error counts from the first one: the kubelet
 * turns any ErrImagePull into ImagePullBackOff anyway, only 10 s or more later.
 */
const IMAGE_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);
const NOT_EXECUTABLE = /executable file not found|no such file or directory|permission denied/;

/**
 * The pod could not fetch its inputs or code package from the artifact store (store mode): the
 * store's or the network's fault, not the step's, so the activity retries.
 */
export class TransferError extends Error {
  override name = 'TransferError';
}

/**
 * Reads the step container's state from its pod; throws an ExecutorError for what fails the step at
 * once with a clear reason instead of waiting for the timeout: an image the node cannot get, a pod no
 * node can take (Insufficient cpu, an unknown GPU resource), a missing Secret, a missing command.
 */
export function viewPod(pod: V1Pod, image: string): PodView {
  const name = pod.metadata?.name ?? '';
  const status = pod.status;
  const scheduled = status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    throw new ExecutorError(
      'InvalidRequest',
      `no node can run the step's pod: ${scheduled.message ?? 'Unschedulable'}`,
    );
  }
  const fetch = status?.initContainerStatuses?.find((c) => c.name === FETCH_CONTAINER);
  const fetchWaiting = fetch?.state?.waiting;
  if (fetchWaiting?.reason && IMAGE_REASONS.has(fetchWaiting.reason)) {
    throw new ExecutorError(
      'ImageNotFound',
      `the transfer helper's image "${fetch!.image}" is not available to the cluster (${fetchWaiting.reason}; ` +
        `scripts/build-images.sh builds it, SLUICE_K8S_TRANSFER_IMAGE names it): ${fetchWaiting.message ?? ''}`.trim(),
    );
  }
  const fetched = fetch?.state?.terminated;
  if (fetched && fetched.exitCode !== 0) {
    throw new TransferError(
      `the pod could not fetch the step's inputs or code package from the artifact store (exit ${fetched.exitCode}): ` +
        (fetched.message?.trim() || fetched.reason || 'no message'),
    );
  }
  const cs = status?.containerStatuses?.find((c) => c.name === STEP_CONTAINER);
  const imageId = cs?.imageID || undefined;
  const waiting = cs?.state?.waiting;
  if (waiting?.reason && IMAGE_REASONS.has(waiting.reason)) {
    throw new ExecutorError(
      'ImageNotFound',
      `image "${image}" is not available to the cluster (${waiting.reason}): ${waiting.message ?? ''}`.trim(),
    );
  }
  if (waiting?.reason === 'CreateContainerConfigError' || waiting?.reason === 'CreateContainerError') {
    if (NOT_EXECUTABLE.test(waiting.message ?? '')) {
      throw new ExecutorError(
        'CommandNotFound',
        `the step's command could not be run in image "${image}": ${waiting.message}`,
      );
    }
    throw new ExecutorError(
      'InvalidRequest',
      `the step's container cannot be created (${waiting.reason}): ${waiting.message ?? ''}`,
    );
  }
  const done = cs?.state?.terminated;
  if (done) {
    if (done.reason === 'StartError' || done.reason === 'ContainerCannotRun') {
      const what = NOT_EXECUTABLE.test(done.message ?? '') ? 'CommandNotFound' : 'InvalidRequest';
      throw new ExecutorError(
        what,
        `the step's command could not be run in image "${image}": ${done.message ?? done.reason}`,
      );
    }
    return { phase: 'exited', pod: name, exitCode: done.exitCode, reason: done.reason, message: done.message, imageId };
  }
  if (cs?.state?.running) return { phase: 'running', pod: name, imageId };
  // Deleted or evicted before its container ran: the kubelet marks the pod Failed without a state.
  if (status?.phase === 'Failed') {
    return { phase: 'exited', pod: name, exitCode: 137, reason: status.reason, message: status.message, imageId };
  }
  return { phase: 'pending' };
}

export type JobState = 'suspended' | 'active' | 'complete' | 'failed' | 'deleting';

export function jobState(job: V1Job): JobState {
  if (job.metadata?.deletionTimestamp) return 'deleting';
  const conditions = job.status?.conditions ?? [];
  const has = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  if (has('Complete') || has('SuccessCriteriaMet')) return 'complete';
  if (has('Failed') || has('FailureTarget')) return 'failed';
  if (job.spec?.suspend) return 'suspended';
  return 'active';
}
