import type { ExecutorName } from '../../core/pipeline/schema.js';

/**
 * The executor contract: one way to run a step's container or process. Nothing here is
 * Docker-specific, so a Kubernetes Jobs executor can implement the same interface.
 *
 * Step contract seen by the user's code (README, "Running a pipeline"):
 *   /sluice/inputs/<name>   (process executor: $SLUICE_INPUTS_DIR/<name>)  read-only inputs
 *   /sluice/outputs/<name>  (process executor: $SLUICE_OUTPUTS_DIR/<name>) outputs it writes
 *   /sluice/outputs/metrics.json  optional flat {"name": number}
 *   SLUICE_RUN_ID, SLUICE_STEP_ID, SLUICE_PARAMS (JSON)
 *   /sluice/code (process executor: $SLUICE_CODE_DIR)  the pipeline's code package, the working directory
 */
export interface StepResources {
  /** CPUs, fractional allowed (0.5). */
  cpu?: number;
  /** Memory limit in MiB. */
  memoryMb?: number;
  gpus?: number;
}

export interface StepRunRequest {
  runId: string;
  stepId: string;
  /** Temporal activity attempt (1-based); recorded as a label, not part of the identity. */
  attempt: number;
  /** Container image; the process executor ignores it. */
  image: string;
  /** Command and args; with the docker executor an empty command means the image's entrypoint/cmd. */
  command: string[];
  args: string[];
  /** Extra environment; the executor adds the SLUICE_* variables itself. */
  env: Record<string, string>;
  params: Record<string, unknown>;
  /**
   * A per-(run, step) directory on the worker's disk, the same across attempts:
   * `${workDir}/inputs/<name>` already holds each input (file or dir) before run() is called;
   * the step's outputs must end up in `${workDir}/outputs/` (executors create it empty).
   */
  workDir: string;
  inputNames: string[];
  outputNames: string[];
  /**
   * The pipeline's code package, extracted on the worker's disk (shared by steps and runs: read-only
   * by contract). The step runs in it: docker mounts it read-only at /sluice/code, the process
   * executor uses it as the working directory. Undefined: no code package, behaviour as before.
   */
  codeDir?: string;
  /** Process executor: run in a venv built from these requirements (a path in codeDir); docker ignores it. */
  python?: { requirements: string };
  resources: StepResources;
  /**
   * Environment variables read from Kubernetes Secrets by the kubelet (kubernetes executor only):
   * their values never pass through Sluice. Other executors refuse a step that names any.
   */
  secrets?: SecretEnv[];
  /** Docker: the step's own network, over the executor's default; the step policy allowed it. */
  network?: 'none' | 'host';
  /** Hard limit for the step's own run time; on expiry the container/process is killed. */
  timeoutMs: number;
  /** Called with each complete log line, in order. */
  onLog: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Aborted when the activity is cancelled: kill and remove the container/process. */
  signal: AbortSignal;
  /**
   * Keep a container that exited on its own (no timeout, no abort) until release(): its outputs
   * are not stored yet, and a later attempt must be able to adopt it instead of running again.
   */
  keepFinished?: boolean;
  /**
   * How many lines per stream of the container started by attempt `createdBy` the step log
   * already holds: a re-attached container's log continues after them instead of replaying.
   */
  storedLines?: (createdBy: number) => Promise<StoredLines>;
}

export interface SecretEnv {
  env: string;
  secret: string;
  key: string;
}

export interface StoredLines {
  stdout: number;
  stderr: number;
}

export interface StepRunResult {
  exitCode: number;
  /** true when it ended because timeoutMs passed. */
  timedOut: boolean;
  /** Image digest when the engine gives one (docker: the image id), for caching and lineage. */
  imageDigest?: string;
  /** true when an already running container from an earlier attempt was found and awaited. */
  reattached: boolean;
  durationMs: number;
}

export interface Executor {
  readonly name: ExecutorName;
  /** Runs a step to completion (or kill on timeout/abort). Idempotent per (runId, stepId). */
  run(req: StepRunRequest): Promise<StepRunResult>;
  /** Removes what run() kept for (runId, stepId) (keepFinished); nothing there is fine. */
  release?(runId: string, stepId: string): Promise<void>;
  /** The image digest the step would run with (for the cache key), or undefined. Throws ExecutorError('ImageNotFound') when missing. */
  resolveImage(image: string): Promise<string | undefined>;
}

/** Failures retrying cannot fix are marked so the activity fails at once. */
export class ExecutorError extends Error {
  constructor(
    readonly code: 'ImageNotFound' | 'CommandNotFound' | 'InvalidRequest' | 'EngineUnavailable',
    message: string,
  ) {
    super(message);
    this.name = 'ExecutorError';
  }
}
