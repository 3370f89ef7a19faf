import type {
  V1Container,
  V1EnvVar,
  V1Job,
  V1ResourceRequirements,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { IN_CONTAINER } from './docker-create.js';
import { K8S_ANNOTATIONS, jobLabels, jobName } from './kubernetes-names.js';
import type { TransferPlan } from './kubernetes-transfer.js';
import { stepEnv, type StepUser, type stepDirs } from './step-env.js';
import type { StepResources, StepRunRequest } from './types.js';

export const STEP_CONTAINER = 'step';
/** The init container that fetches inputs and the code package (SLUICE_K8S_TRANSFER=store). */
export const FETCH_CONTAINER = 'fetch';
/** Where the transfer helper copies itself in a store-mode pod; also its scratch space for the outputs tar. */
const TRANSFER_DIR = '/sluice-transfer';
/**
 * The Job's own deadline is a backstop for when no worker watches (the activity enforces the
 * timeout itself, to the millisecond, and deletes the Job): it must not win that race.
 */
export const DEADLINE_MARGIN_S = 15;
/** A Job nobody released (its worker died for good) is collected after a day. */
const TTL_AFTER_FINISHED_S = 24 * 3600;

export type ImagePullPolicy = 'IfNotPresent' | 'Never' | 'Always';

export interface JobOptions {
  namespace: string;
  imagePullPolicy: ImagePullPolicy;
  /** null: the image's own user. */
  user: StepUser | null;
  /** Seconds between SIGTERM and SIGKILL when the pod is deleted. */
  graceSeconds: number;
  /** Store mode: emptyDirs filled and emptied by the transfer helper instead of hostPath volumes. */
  transfer?: TransferPlan;
}

/** Requests equal limits (Guaranteed QoS): what a step asks for is what it is held to. */
export function resourceLimits({ cpu, memoryMb, gpus = 0 }: StepResources): V1ResourceRequirements | undefined {
  const limits: Record<string, string> = {};
  if (cpu) limits.cpu = `${Math.max(1, Math.round(cpu * 1000))}m`;
  if (memoryMb) limits.memory = `${Math.round(memoryMb)}Mi`;
  if (gpus > 0) limits['nvidia.com/gpu'] = String(gpus);
  return Object.keys(limits).length > 0 ? { requests: { ...limits }, limits } : undefined;
}

/**
 * One step as a batch/v1 Job, created suspended: its creator resumes it once outputs/ is emptied,
 * so no pod can write there before. Inputs, outputs and the code package are hostPath volumes of
 * the step's workDir (the worker shares the node), or with opts.transfer emptyDirs that the pod
 * fills and uploads itself through the artifact store (see README, "Kubernetes").
 */
export function jobManifest(req: StepRunRequest, dirs: ReturnType<typeof stepDirs>, opts: JobOptions): V1Job {
  const code = req.codeDir !== undefined;
  const env: V1EnvVar[] = Object.entries(
    stepEnv(req, IN_CONTAINER.inputs, IN_CONTAINER.outputs, code ? IN_CONTAINER.code : undefined),
  ).map(([name, value]) => ({ name, value }));
  // By reference: the kubelet reads the Secret; its value never passes through Sluice.
  for (const s of req.secrets ?? [])
    env.push({ name: s.env, valueFrom: { secretKeyRef: { name: s.secret, key: s.key } } });
  const transfer = opts.transfer;
  const volumes: V1Volume[] = transfer
    ? [
        { name: 'inputs', emptyDir: {} },
        { name: 'outputs', emptyDir: {} },
        { name: 'transfer', emptyDir: {} },
      ]
    : [
        { name: 'inputs', hostPath: { path: dirs.inputs, type: 'Directory' } },
        { name: 'outputs', hostPath: { path: dirs.outputs, type: 'Directory' } },
      ];
  const mounts: V1VolumeMount[] = [
    { name: 'inputs', mountPath: IN_CONTAINER.inputs, readOnly: true },
    { name: 'outputs', mountPath: IN_CONTAINER.outputs },
  ];
  if (code) {
    volumes.push(
      transfer ? { name: 'code', emptyDir: {} } : { name: 'code', hostPath: { path: req.codeDir!, type: 'Directory' } },
    );
    mounts.push({ name: 'code', mountPath: IN_CONTAINER.code, readOnly: true });
  }
  const labels = jobLabels(req.runId, req.stepId, req.attempt);
  const metadata = { labels, annotations: { [K8S_ANNOTATIONS.run]: req.runId, [K8S_ANNOTATIONS.step]: req.stepId } };
  const jobAnnotations = transfer
    ? { ...metadata.annotations, [K8S_ANNOTATIONS.outputsKey]: transfer.outputsKey }
    : metadata.annotations;
  const user = opts.user;
  const resources = resourceLimits(req.resources);
  const containerSecurity = { privileged: false, allowPrivilegeEscalation: false };
  let command = req.command.length > 0 ? req.command : undefined;
  let args = req.args.length > 0 ? req.args : undefined;
  let initContainers: V1Container[] | undefined;
  if (transfer) {
    // The wrapper runs the step's command and uploads outputs/ before the container exits, so the
    // container's exit code and termination message stay the step's own.
    command = [
      `${TRANSFER_DIR}/sluice-transfer`,
      'run',
      '--outputs',
      IN_CONTAINER.outputs,
      '--put',
      transfer.outputsUrl,
      '--scratch',
      TRANSFER_DIR,
      '--',
      ...req.command,
      ...req.args,
    ];
    args = undefined;
    mounts.push({ name: 'transfer', mountPath: TRANSFER_DIR });
    const gets = [`${IN_CONTAINER.inputs}=${transfer.inputsUrl}`];
    if (transfer.codeUrl) gets.push(`${IN_CONTAINER.code}=${transfer.codeUrl}`);
    initContainers = [
      {
        name: FETCH_CONTAINER,
        image: transfer.image,
        imagePullPolicy: opts.imagePullPolicy,
        args: ['fetch', '--install', TRANSFER_DIR, ...gets.flatMap((g) => ['--get', g])],
        volumeMounts: mounts.map((m) => ({ ...m, readOnly: false })),
        // The step's own limits: the pod stays in the step's QoS class and quota.
        resources,
        terminationMessagePolicy: 'File',
        securityContext: containerSecurity,
      },
    ];
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(req.runId, req.stepId),
      namespace: opts.namespace,
      labels,
      annotations: jobAnnotations,
    },
    spec: {
      suspend: true,
      // Temporal owns retries: a failed pod fails the Job.
      backoffLimit: 0,
      activeDeadlineSeconds: Math.ceil(req.timeoutMs / 1000) + DEADLINE_MARGIN_S,
      ttlSecondsAfterFinished: TTL_AFTER_FINISHED_S,
      template: {
        metadata,
        spec: {
          restartPolicy: 'Never',
          // A step gets no Kubernetes credentials and no service environment variables.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: opts.graceSeconds,
          hostNetwork: req.network === 'host' ? true : undefined,
          securityContext: user ? { runAsUser: user.uid, runAsGroup: user.gid, runAsNonRoot: true } : undefined,
          initContainers,
          containers: [
            {
              name: STEP_CONTAINER,
              image: req.image,
              imagePullPolicy: opts.imagePullPolicy,
              command,
              args,
              env,
              workingDir: code ? IN_CONTAINER.code : undefined,
              volumeMounts: mounts,
              resources,
              terminationMessagePolicy: 'File',
              securityContext: containerSecurity,
            },
          ],
          volumes,
        },
      },
    },
  };
}
