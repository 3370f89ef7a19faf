import path from 'node:path';
import { KubeConfig, type V1Job } from '@kubernetes/client-node';
import { throwIfAborted } from './abort.js';
import { DEFAULT_STEP_USER } from '../../core/policy/schema.js';
import { skipStoredLines } from './docker-logs.js';
import { JobsApi, mapApiError } from './kubernetes-api.js';
import { jobManifest, type ImagePullPolicy } from './kubernetes-job.js';
import { followPodLog, type PodLogFollower } from './kubernetes-logs.js';
import { K8S_ANNOTATIONS, K8S_LABELS, jobName } from './kubernetes-names.js';
import { TransferError, jobState, viewPod } from './kubernetes-pods.js';
import type { StoreTransfer } from './kubernetes-transfer.js';
import { emptyDir, ensureStepDirs, giveDirTo, stepDirs, type StepUser } from './step-env.js';
import { supervise, type StartedStep } from './supervise.js';
import { ExecutorError, type Executor, type StepRunRequest, type StepRunResult } from './types.js';

export const DEFAULT_K8S_NAMESPACE = 'sluice-steps';

export interface KubernetesExecutorOptions {
  /** Default: KUBECONFIG, ~/.kube/config or the pod's own ServiceAccount (in-cluster). */
  kubeConfig?: KubeConfig;
  /** Where steps run; default: the kubeconfig context's namespace, else sluice-steps. */
  namespace?: string;
  /** IfNotPresent (default) runs images imported into the node's runtime without a registry. */
  imagePullPolicy?: ImagePullPolicy;
  /** Who the container runs as: nobody (65534:65534) by default; null keeps the image's user. */
  user?: StepUser | null;
  /** SIGTERM-to-SIGKILL grace on timeout. */
  stopGraceSeconds?: number;
  /** The same on cancel; shorter, so a cancel ends the pod in seconds. */
  cancelGraceMs?: number;
  /** How often the pod's state is read while the step runs. */
  pollMs?: number;
  /**
   * Store mode (SLUICE_K8S_TRANSFER=store): inputs, outputs and the code package go through the S3
   * artifact store with presigned URLs, not hostPath volumes. Undefined: hostPath (the worker shares the node).
   */
  transfer?: StoreTransfer;
}

/** A Job this run() drives: one it created, or one an earlier worker left behind. */
interface Target {
  reattached: boolean;
  /** false: the Job had completed already; no timer is armed. */
  running: boolean;
  startedAtMs: number;
  /** The attempt that created the Job (its label). */
  createdBy: number;
  /** Store mode: where the pod uploads its outputs (the Job's annotation). */
  outputsKey?: string;
}

/** How long a Job may stay suspended before another worker treats it as abandoned by its creator. */
const SUSPENDED_GRACE_MS = 3_000;
/**
 * No wait for the follow stream to end after the exit: the kubelet ends it only at its next state
 * check (up to 5 s later), and finish() catches up byte-exactly anyway.
 */
const LOG_DRAIN_MS = 0;
/** Consecutive failed reads of the pod's state before the API server counts as gone. */
const MAX_POLL_FAILURES = 40;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a step as a batch/v1 Job, named from (runId, stepId) so that the name is the lock. Re-attach
 * rule, like the docker executor's: an active Job is adopted (its log continues after the lines the
 * step log already holds, its timeout counts from its own start); a completed one is adopted for
 * its exit code and outputs; a failed one, or one left suspended by a creator that died, is deleted
 * and the step starts fresh. The Job is deleted (foreground: its pods first) when run() settles,
 * unless req.keepFinished and it ended on its own: then release() deletes it.
 */
export class KubernetesExecutor implements Executor {
  readonly name = 'kubernetes' as const;
  readonly namespace: string;
  private readonly api: JobsApi;
  private readonly pullPolicy: ImagePullPolicy;
  private readonly user: StepUser | null;
  private readonly grace: number;
  private readonly cancelGraceMs: number;
  private readonly pollMs: number;
  private readonly transfer: StoreTransfer | undefined;

  constructor(opts: KubernetesExecutorOptions = {}) {
    const kc = opts.kubeConfig ?? defaultKubeConfig();
    this.namespace = opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? DEFAULT_K8S_NAMESPACE;
    this.api = new JobsApi(kc, this.namespace);
    this.pullPolicy = opts.imagePullPolicy ?? 'IfNotPresent';
    this.user = opts.user === undefined ? DEFAULT_STEP_USER : opts.user;
    this.grace = opts.stopGraceSeconds ?? 2;
    this.cancelGraceMs = opts.cancelGraceMs ?? 1_000;
    this.pollMs = opts.pollMs ?? 250;
    this.transfer = opts.transfer;
  }

  /** 'store' when steps move their files through the artifact store, else 'hostpath'. */
  get transferMode(): 'hostpath' | 'store' {
    return this.transfer ? 'store' : 'hostpath';
  }

  /** The worker cannot see the node's images (it has no rights on nodes); the pod reports the digest it ran. */
  async resolveImage(): Promise<undefined> {
    return undefined;
  }

  async run(req: StepRunRequest): Promise<StepRunResult> {
    const started = Date.now();
    if (!req.image) throw new ExecutorError('InvalidRequest', 'the kubernetes executor needs an image');
    if (!(req.timeoutMs > 0)) throw new ExecutorError('InvalidRequest', `timeoutMs must be > 0, got ${req.timeoutMs}`);
    throwIfAborted(req);
    const name = jobName(req.runId, req.stepId);
    const target = await this.claim(req, name);
    const logTo =
      target.reattached && req.storedLines
        ? skipStoredLines(await req.storedLines(target.createdBy), req.onLog)
        : req.onLog;
    const { exitCode, timedOut, imageDigest } = await this.superviseJob(req, name, target, logTo);
    return { exitCode, timedOut, imageDigest, reattached: target.reattached, durationMs: Date.now() - started };
  }

  async release(runId: string, stepId: string): Promise<void> {
    const name = jobName(runId, stepId);
    await this.api.deleteJob(name);
    await this.transfer?.discard(name);
  }

  /** Adopts this step's Job or creates it; a 409 on create means another worker won: adopt that. */
  private async claim(req: StepRunRequest, name: string): Promise<Target> {
    for (let round = 0; round < 5; round++) {
      throwIfAborted(req);
      const existing = await this.api.readJob(name);
      const adopted = existing ? await this.adopt(req, name, existing) : await this.create(req, name);
      if (adopted) return adopted;
    }
    throw new Error(`could not claim Job ${name} in namespace ${this.namespace}`);
  }

  /** undefined: the Job was (or is being) removed; the caller looks again. */
  private async adopt(req: StepRunRequest, name: string, job: V1Job): Promise<Target | undefined> {
    let state = jobState(job);
    const createdMs = job.metadata?.creationTimestamp ? new Date(job.metadata.creationTimestamp).getTime() : Date.now();
    // Its creator resumes it right after emptying outputs/; give it that moment.
    while (state === 'suspended' && Date.now() - createdMs < SUSPENDED_GRACE_MS) {
      await sleep(200);
      const again = await this.api.readJob(name);
      if (!again) return undefined;
      job = again;
      state = jobState(job);
    }
    if (state === 'suspended' || state === 'failed') await this.api.deleteJob(name);
    if (state === 'suspended' || state === 'failed' || state === 'deleting') {
      await this.waitGone(req, name);
      return undefined;
    }
    const startTime = job.status?.startTime;
    return {
      reattached: true,
      running: state === 'active',
      startedAtMs: startTime ? new Date(startTime).getTime() : createdMs,
      createdBy: Number(job.metadata?.labels?.[K8S_LABELS.attempt]) || 1,
      outputsKey: job.metadata?.annotations?.[K8S_ANNOTATIONS.outputsKey],
    };
  }

  private async create(req: StepRunRequest, name: string): Promise<Target | undefined> {
    const workDir = path.resolve(req.workDir);
    const dirs = stepDirs(workDir);
    await ensureStepDirs(workDir); // hostPath volumes of type Directory must exist
    const transfer = await this.transfer?.prepare(req, name, dirs.inputs);
    const job = jobManifest(req, dirs, {
      namespace: this.namespace,
      imagePullPolicy: this.pullPolicy,
      user: this.user,
      graceSeconds: this.grace,
      transfer,
    });
    if (!(await this.api.createJob(job))) return undefined;
    // Only the Job's creator empties outputs/, and before any pod exists: it was created suspended.
    try {
      await emptyDir(dirs.outputs);
      if (this.user && !transfer) await giveDirTo(dirs.outputs, this.user);
      await this.api.resumeJob(name);
    } catch (err) {
      await this.api.deleteJob(name).catch(() => undefined);
      throw err;
    }
    return {
      reattached: false,
      running: true,
      startedAtMs: Date.now(),
      createdBy: req.attempt,
      outputsKey: transfer?.outputsKey,
    };
  }

  private async waitGone(req: StepRunRequest, name: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (await this.api.readJob(name)) {
      throwIfAborted(req);
      if (Date.now() > deadline) throw new Error(`Job ${name} is still being deleted after 120 s`);
      await sleep(250);
    }
  }

  /** Watches the pod until its container ends, following its log; deletes the Job unless it is kept. */
  private async superviseJob(
    req: StepRunRequest,
    name: string,
    target: Target,
    logTo: StepRunRequest['onLog'],
  ): Promise<{ exitCode: number; timedOut: boolean; imageDigest?: string }> {
    let follower: PodLogFollower | undefined;
    let imageId: string | undefined;
    let keep = false;
    const startLogs = async (pod: string) => {
      follower ??= await followPodLog(this.api.kc, this.namespace, pod, logTo);
    };
    const exited = this.watchPod(req, name, startLogs, (id) => (imageId = id));
    try {
      const step: StartedStep = {
        exited,
        logsEnded: exited.then(
          () => follower?.ended,
          () => undefined,
        ),
        flushLogs: () => follower?.finish(),
        // Pods first, with the grace asked for (deleting the Job alone would use the pod's own),
        // then the Job, foreground: it goes once its pods are gone.
        terminate: (graceMs) =>
          void this.api
            .deletePods(name, Math.ceil(graceMs / 1000))
            .then(() => this.api.deleteJob(name))
            .catch(() => undefined),
        kill: () => void this.api.deletePods(name, 0).catch(() => undefined),
        lastStderr: () => follower?.lastLine(),
      };
      const timeLeftMs = target.running ? req.timeoutMs - (Date.now() - target.startedAtMs) : undefined;
      const result = await supervise(req, step, {
        graceMs: this.grace * 1000,
        cancelGraceMs: this.cancelGraceMs,
        timeLeftMs,
        logDrainMs: LOG_DRAIN_MS,
        where: ` in image "${req.image}"`,
      });
      // The Job's own deadline (the backstop) may have ended it while no worker watched.
      const timedOut = result.timedOut || (result.exitCode !== 0 && (await this.deadlineExceeded(name)));
      if (target.outputsKey && !timedOut) await this.collectOutputs(req, target.outputsKey, result.exitCode);
      keep = !!req.keepFinished && !timedOut;
      return { exitCode: result.exitCode, timedOut, imageDigest: digestOf(imageId) };
    } finally {
      follower?.close();
      if (!keep) {
        await this.api.deleteJob(name).catch(() => undefined);
        await this.transfer?.discard(name).catch(() => undefined);
      }
    }
  }

  /**
   * Resolves with the step container's exit code (137 when its pod went without one: deleted or
   * evicted); rejects with an ExecutorError as soon as the pod cannot run (see viewPod).
   */
  private async watchPod(
    req: StepRunRequest,
    name: string,
    startLogs: (pod: string) => Promise<void>,
    sawImage: (id: string) => void,
  ): Promise<number> {
    let seenPod = false;
    let failures = 0;
    for (;;) {
      try {
        const pods = await this.api.podsOf(name);
        const pod = pods.find((p) => !p.metadata?.deletionTimestamp) ?? pods[0];
        if (pod) {
          seenPod = true;
          const view = viewPod(pod, req.image);
          if (view.phase !== 'pending') {
            if (view.imageId) sawImage(view.imageId);
            await startLogs(view.pod);
          }
          if (view.phase === 'exited') {
            if (view.message || (view.reason && view.reason !== 'Completed' && view.reason !== 'Error')) {
              // The termination message (what the step wrote to /dev/termination-log) or why it was ended.
              req.onLog(
                'stderr',
                `[sluice] pod ended: ${view.reason ?? 'terminated'}${view.message ? `: ${view.message.trim()}` : ''}`,
              );
            }
            return view.exitCode;
          }
        } else {
          const job = await this.api.readJob(name);
          const state = job ? jobState(job) : 'deleting';
          if (state === 'complete') return 0;
          if (seenPod || state === 'deleting' || state === 'failed') return 137;
        }
        failures = 0;
      } catch (err) {
        if (err instanceof TransferError) throw err;
        if (err instanceof ExecutorError && err.code !== 'EngineUnavailable') throw err;
        if (++failures >= MAX_POLL_FAILURES) throw mapApiError(err, `watch Job ${name}`);
      }
      await sleep(this.pollMs);
    }
  }

  /** Store mode: the outputs tar the pod uploaded becomes the step's outputs/ on the worker. */
  private async collectOutputs(req: StepRunRequest, key: string, exitCode: number): Promise<void> {
    if (!this.transfer) {
      throw new ExecutorError(
        'InvalidRequest',
        'this Job was created with SLUICE_K8S_TRANSFER=store; a worker with hostPath transfer cannot collect its outputs',
      );
    }
    const workDir = path.resolve(req.workDir);
    const collected = await this.transfer.collect(key, stepDirs(workDir).outputs, workDir);
    // A failed step may have died before uploading; a successful one always uploads (or exits 1).
    if (!collected && exitCode === 0) {
      throw new Error(
        `the step's pod ended with exit code 0 but its outputs never reached the artifact store (${key})`,
      );
    }
  }

  private async deadlineExceeded(name: string): Promise<boolean> {
    const job = await this.api.readJob(name).catch(() => undefined);
    return !!job?.status?.conditions?.some((c) => c.type === 'Failed' && c.reason === 'DeadlineExceeded');
  }
}

function digestOf(imageId: string | undefined): string | undefined {
  return imageId?.match(/sha256:[0-9a-f]{64}/)?.[0];
}

function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
