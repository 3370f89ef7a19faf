import type { V1EnvVar, V1Job, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { IN_CONTAINER } from './docker-create.js';
import { K8S_ANNOTATIONS, jobLabels, jobName } from './kubernetes-names.js';
import { stepEnv, type StepUser, type stepDirs } from './step-env.js';
import type { StepResources, StepRunRequest } from './types.js';

export const STEP_CONTAINER = 'step';
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
 * the step's workDir: the worker shares the node (see README, "Kubernetes").
 */
export function jobManifest(req: StepRunRequest, dirs: ReturnType<typeof stepDirs>, opts: JobOptions): V1Job {
  const code = req.codeDir !== undefined;
  const env: V1EnvVar[] = Object.entries(
    stepEnv(req, IN_CONTAINER.inputs, IN_CONTAINER.outputs, code ? IN_CONTAINER.code : undefined),
  ).map(([name, value]) => ({ name, value }));
  // By reference: the kubelet reads the Secret; its value never passes through Sluice.
  for (const s of req.secrets ?? [])
    env.push({ name: s.env, valueFrom: { secretKeyRef: { name: s.secret, key: s.key } } });
  const volumes: V1Volume[] = [
    { name: 'inputs', hostPath: { path: dirs.inputs, type: 'Directory' } },
    { name: 'outputs', hostPath: { path: dirs.outputs, type: 'Directory' } },
  ];
  const mounts: V1VolumeMount[] = [
    { name: 'inputs', mountPath: IN_CONTAINER.inputs, readOnly: true },
    { name: 'outputs', mountPath: IN_CONTAINER.outputs },
  ];
  if (code) {
    volumes.push({ name: 'code', hostPath: { path: req.codeDir!, type: 'Directory' } });
    mounts.push({ name: 'code', mountPath: IN_CONTAINER.code, readOnly: true });
  }
  const labels = jobLabels(req.runId, req.stepId, req.attempt);
  const metadata = { labels, annotations: { [K8S_ANNOTATIONS.run]: req.runId, [K8S_ANNOTATIONS.step]: req.stepId } };
  const user = opts.user;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(req.runId, req.stepId), namespace: opts.namespace, ...metadata },
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
          containers: [
            {
              name: STEP_CONTAINER,
              image: req.image,
              imagePullPolicy: opts.imagePullPolicy,
              command: req.command.length > 0 ? req.command : undefined,
              args: req.args.length > 0 ? req.args : undefined,
              env,
              workingDir: code ? IN_CONTAINER.code : undefined,
              volumeMounts: mounts,
              resources: resourceLimits(req.resources),
              terminationMessagePolicy: 'File',
              securityContext: { privileged: false, allowPrivilegeEscalation: false },
            },
          ],
          volumes,
        },
      },
    },
  };
}
