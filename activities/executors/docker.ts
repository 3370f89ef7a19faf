import path from 'node:path';
import Docker from 'dockerode';
import { throwIfAborted } from './abort.js';
import { containerName, LABELS, stepFilter } from './docker-names.js';
import { containerSpec } from './docker-create.js';
import { removeContainer, settledState } from './docker-containers.js';
import { engineUnavailable, imageNotFound, mapStartError, statusOf } from './docker-errors.js';
import { followLogs, skipStoredLines } from './docker-logs.js';
import { DEFAULT_STEP_USER } from '../../core/policy/schema.js';
import { emptyDir, ensureStepDirs, giveDirTo, stepDirs, type StepUser } from './step-env.js';
import { supervise, type StartedStep } from './supervise.js';
import { ExecutorError, type Executor, type StepRunRequest, type StepRunResult } from './types.js';

export interface DockerExecutorOptions {
  docker?: Docker;
  /** Only these two exist on a daemon started with --bridge=none; 'none' is the default. A step may ask for its own. */
  network?: 'none' | 'host';
  /** Who the container runs as: nobody (65534:65534) by default; null keeps the image's user (often root). */
  user?: StepUser | null;
  /** SIGTERM-to-SIGKILL grace on timeout (docker stop -t). */
  stopGraceSeconds?: number;
  /** The same on cancel (abort); shorter, so a cancel reaches the container in seconds. */
  cancelGraceMs?: number;
}

/** A container this run() drives: one it created, or one an earlier worker left behind. */
interface Target {
  container: Docker.Container;
  imageDigest: string;
  reattached: boolean;
  running: boolean;
  startedAtMs: number;
  /** The attempt that created the container (its label). */
  createdBy: number;
}

/** How long to wait for the follow stream to end after exit (finish() catches up anyway). */
const LOG_DRAIN_MS = 2_000;

/**
 * Runs a step as a container. Re-attach rule, per (runId, stepId) labels:
 * - a running (or paused) container is adopted: not started twice, its logs continue after the
 *   lines the step log already holds (req.storedLines) and are followed, and the timeout counts
 *   from its own StartedAt;
 * - an exited container with exit code 0 is adopted (the worker died after it finished, or
 *   before its outputs were stored): its exit code is taken and its outputs are kept;
 * - anything else (exited non-zero, dead, or created and not started within 3 s) is removed
 *   and the step starts fresh with an emptied outputs/: that attempt failed anyway.
 * The container is force-removed when run() settles, unless req.keepFinished and it exited on
 * its own: then release() removes it once its outputs are stored.
 */
export class DockerExecutor implements Executor {
  readonly name = 'docker' as const;
  private readonly docker: Docker;
  private readonly network: 'none' | 'host';
  private readonly user: StepUser | null;
  private readonly grace: number;
  private readonly cancelGraceMs: number;

  constructor(opts: DockerExecutorOptions = {}) {
    this.docker = opts.docker ?? new Docker();
    this.network = opts.network ?? 'none';
    if (this.network !== 'none' && this.network !== 'host') {
      throw new ExecutorError('InvalidRequest', `network must be "none" or "host", not "${String(this.network)}"`);
    }
    this.user = opts.user === undefined ? DEFAULT_STEP_USER : opts.user;
    this.grace = opts.stopGraceSeconds ?? 2;
    this.cancelGraceMs = opts.cancelGraceMs ?? 1_000;
  }

  async resolveImage(image: string): Promise<string> {
    try {
      return (await this.docker.getImage(image).inspect()).Id;
    } catch (err) {
      if (statusOf(err) === 404) throw imageNotFound(image);
      throw engineUnavailable(err) ?? err;
    }
  }

  async run(req: StepRunRequest): Promise<StepRunResult> {
    const started = Date.now();
    if (!req.image) throw new ExecutorError('InvalidRequest', 'the docker executor needs an image');
    if (!(req.timeoutMs > 0)) throw new ExecutorError('InvalidRequest', `timeoutMs must be > 0, got ${req.timeoutMs}`);
    throwIfAborted(req);
    const target = await this.claim(req);
    if (target.reattached && req.storedLines) {
      req = { ...req, onLog: skipStoredLines(await req.storedLines(target.createdBy), req.onLog) };
    }
    const result = await this.superviseContainer(req, target);
    return {
      ...result,
      imageDigest: target.imageDigest,
      reattached: target.reattached,
      durationMs: Date.now() - started,
    };
  }

  async release(runId: string, stepId: string): Promise<void> {
    let found: Docker.ContainerInfo[];
    try {
      found = await this.docker.listContainers({ all: true, filters: stepFilter(runId, stepId) });
    } catch (err) {
      throw engineUnavailable(err) ?? err;
    }
    for (const info of found) await removeContainer(this.docker.getContainer(info.Id));
  }

  /** Adopts an earlier container of this step or creates one; the container name is the lock. */
  private async claim(req: StepRunRequest): Promise<Target> {
    for (let round = 0; round < 3; round++) {
      throwIfAborted(req);
      const adopted = await this.adoptExisting(req);
      if (adopted) return adopted;
      const created = await this.createAndStart(req);
      if (created) return created;
      // Name conflict: another worker created it between our lookup and create; adopt it.
    }
    throw new Error(`could not claim container ${containerName(req.runId, req.stepId)}`);
  }

  private async adoptExisting(req: StepRunRequest): Promise<Target | undefined> {
    let found: Docker.ContainerInfo[];
    try {
      found = await this.docker.listContainers({ all: true, filters: stepFilter(req.runId, req.stepId) });
    } catch (err) {
      throw engineUnavailable(err) ?? err;
    }
    let adopted: Target | undefined;
    for (const info of found) {
      const container = this.docker.getContainer(info.Id);
      const state = await settledState(container);
      const running = !!state && (state.Running || state.Paused || state.Restarting);
      const finishedOk = !!state && state.Status === 'exited' && state.ExitCode === 0;
      if (!adopted && state && (running || finishedOk)) {
        const startedAtMs = Date.parse(state.StartedAt);
        const createdBy = Number(info.Labels[LABELS.attempt]) || 1;
        adopted = { container, imageDigest: info.ImageID, reattached: true, running, startedAtMs, createdBy };
      } else {
        await removeContainer(container);
      }
    }
    return adopted;
  }

  private async createAndStart(req: StepRunRequest): Promise<Target | undefined> {
    const workDir = path.resolve(req.workDir);
    const dirs = stepDirs(workDir);
    await ensureStepDirs(workDir); // bind-mount sources must exist at create time
    const imageDigest = await this.resolveImage(req.image);
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(containerSpec(req, imageDigest, dirs, this.network, this.user));
    } catch (err) {
      if (statusOf(err) === 409) return undefined;
      if (statusOf(err) === 404) throw imageNotFound(req.image);
      throw engineUnavailable(err) ?? err;
    }
    // Only the holder of the name may empty outputs/: a loser of the create race must not
    // wipe what the winner's container is writing.
    try {
      await emptyDir(dirs.outputs);
      if (this.user) await giveDirTo(dirs.outputs, this.user);
    } catch (err) {
      await removeContainer(container);
      throw err;
    }
    try {
      await container.start();
    } catch (err) {
      await removeContainer(container);
      throw mapStartError(err, { image: req.image, command: req.command, gpus: req.resources.gpus ?? 0 });
    }
    return {
      container,
      imageDigest,
      reattached: false,
      running: true,
      startedAtMs: Date.now(),
      createdBy: req.attempt,
    };
  }

  /** Follows the logs and supervises the container until it exits; removes it unless it is kept. */
  private async superviseContainer(
    req: StepRunRequest,
    target: Target,
  ): Promise<{ exitCode: number; timedOut: boolean }> {
    const { container } = target;
    let keep = false;
    try {
      const logs = await followLogs(this.docker, container, req.onLog);
      try {
        const step: StartedStep = {
          exited: container.wait().then((r: { StatusCode: number }) => r.StatusCode),
          logsEnded: logs.ended,
          flushLogs: () => logs.finish(),
          // stop() is the engine's own SIGTERM-then-SIGKILL; kill() backs it up should it fail.
          terminate: (graceMs) => void container.stop({ t: Math.ceil(graceMs / 1000) }).catch(() => undefined),
          kill: () => void container.kill().catch(() => undefined),
          lastStderr: () => logs.lastStderr(),
        };
        // An adopted container counts its timeout from its own start.
        const timeLeftMs = target.running ? req.timeoutMs - (Date.now() - target.startedAtMs) : undefined;
        const where = ` in image "${req.image}"`;
        const result = await supervise(req, step, {
          graceMs: this.grace * 1000,
          cancelGraceMs: this.cancelGraceMs,
          timeLeftMs,
          logDrainMs: LOG_DRAIN_MS,
          where,
        });
        keep = !!req.keepFinished && !result.timedOut;
        return result;
      } finally {
        logs.close();
      }
    } finally {
      if (!keep) await removeContainer(container);
    }
  }
}
