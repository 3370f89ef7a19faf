import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import path from 'node:path';
import { throwIfAborted } from './abort.js';
import { LineSplitter } from './lines.js';
import { killStepOrphans, signalGroup } from './process-group.js';
import { emptyDir, ensureStepDirs, giveDirTo, stepDirs, stepEnv, type StepUser } from './step-env.js';
import { defaultToolsDir } from '../../core/temporal/binary.js';
import { PythonEnvs } from './python-env.js';
import { unreachableFor } from './reachable.js';
import { supervise } from './supervise.js';
import { ExecutorError, type Executor, type StepRunRequest, type StepRunResult } from './types.js';

export interface ProcessExecutorOptions {
  /** SIGTERM-to-SIGKILL grace on timeout. */
  killGraceMs?: number;
  /** The same on cancel (abort); shorter, so a cancel reaches the step in seconds. */
  cancelGraceMs?: number;
  /** Worker environment variables passed through to steps (the rest, e.g. credentials, is not). */
  inheritEnv?: string[];
  /** The worker's environment those variables are taken from; process.env by default. */
  workerEnv?: NodeJS.ProcessEnv;
  /** Where Python environments of steps that declare `python:` are built (`<toolsDir>/venvs`). */
  toolsDir?: string;
  /**
   * Runs steps as this uid:gid instead of the worker's own user. The composition root sets it when
   * the worker is root and the step policy does not allow root (workers/executors.ts); a worker
   * that is not root cannot switch users, and its steps are no more than it already is.
   */
  runAs?: StepUser;
}

const DEFAULT_INHERIT = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'];
/** How long to wait for stdout/stderr to close after the process exited. */
const PIPE_DRAIN_MS = 5_000;

/**
 * Runs a step as a local subprocess (no shell), in its own process group: on timeout or
 * abort the whole group gets SIGTERM, then SIGKILL after the grace; when the main process
 * exits, what is left of its group is killed too, as Docker does with a container's processes.
 * resources (cpu, memory, gpus) are ignored: there is no isolation here. There is no re-attach
 * either: what a dead worker left of the step is killed and the step starts fresh.
 */
export class ProcessExecutor implements Executor {
  readonly name = 'process' as const;
  private readonly grace: number;
  private readonly cancelGraceMs: number;
  private readonly inherit: string[];
  private readonly workerEnv: NodeJS.ProcessEnv;
  private readonly pythonEnvs: PythonEnvs;
  private readonly runAs?: StepUser;

  constructor(opts: ProcessExecutorOptions = {}) {
    this.grace = opts.killGraceMs ?? 2_000;
    this.cancelGraceMs = opts.cancelGraceMs ?? 1_000;
    this.inherit = opts.inheritEnv ?? DEFAULT_INHERIT;
    this.workerEnv = opts.workerEnv ?? process.env;
    this.pythonEnvs = new PythonEnvs(opts.toolsDir ?? defaultToolsDir());
    this.runAs = opts.runAs;
  }

  async resolveImage(): Promise<undefined> {
    return undefined;
  }

  async run(req: StepRunRequest): Promise<StepRunResult> {
    const started = Date.now();
    const [cmd, ...rest] = req.command;
    if (!cmd) throw new ExecutorError('InvalidRequest', 'the process executor needs a command');
    if (!(req.timeoutMs > 0)) throw new ExecutorError('InvalidRequest', `timeoutMs must be > 0, got ${req.timeoutMs}`);
    throwIfAborted(req);
    const workDir = path.resolve(req.workDir);
    const dirs = stepDirs(workDir);
    await killStepOrphans(req.runId, req.stepId);
    await ensureStepDirs(workDir);
    await emptyDir(dirs.outputs);
    await mkdir(dirs.work, { recursive: true });
    const identity = await this.identity(req, dirs);
    throwIfAborted(req);

    const env = identity.env;
    if (req.python && req.codeDir) {
      const venv = await this.pythonEnvs.ensure(req.codeDir, req.python.requirements, req);
      // A failed build is the step's failure: pip's own lines are the last output.
      if (!venv.ok)
        return { exitCode: venv.exitCode, timedOut: false, reattached: false, durationMs: Date.now() - started };
      env.PATH = [path.join(venv.dir, 'bin'), env.PATH].filter(Boolean).join(path.delimiter);
      env.VIRTUAL_ENV = venv.dir;
      throwIfAborted(req);
    }
    const child = spawn(cmd, [...rest, ...req.args], {
      cwd: req.codeDir ?? dirs.work,
      ...identity,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    // Listen before any await: a fast process could otherwise exit unseen.
    const exited = exitCodeOf(child, cmd);
    const closed = new Promise<void>((r) => child.once('close', () => r()));

    let lastStderr: string | undefined;
    const out = new LineSplitter((line) => req.onLog('stdout', line));
    const err = new LineSplitter((line) => {
      lastStderr = line;
      req.onLog('stderr', line);
    });
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));

    const result = await supervise(
      req,
      {
        exited,
        logsEnded: closed,
        flushLogs: () => {
          child.stdout.destroy();
          child.stderr.destroy();
          out.end();
          err.end();
        },
        terminate: () => {
          if (pid !== undefined) signalGroup(pid, 'SIGTERM');
        },
        kill: () => {
          if (pid !== undefined) signalGroup(pid, 'SIGKILL');
        },
        lastStderr: () => lastStderr,
      },
      { graceMs: this.grace, cancelGraceMs: this.cancelGraceMs, timeLeftMs: req.timeoutMs, logDrainMs: PIPE_DRAIN_MS },
    );
    return { ...result, reattached: false, durationMs: Date.now() - started };
  }

  /**
   * The step's environment (an allow-list of the worker's variables, never its credentials) and,
   * with runAs, its user: the work and outputs dirs are handed to that user, who gets the work dir
   * as HOME (the worker's HOME and user names are not its own).
   */
  private async identity(
    req: StepRunRequest,
    dirs: ReturnType<typeof stepDirs>,
  ): Promise<{ env: Record<string, string>; uid?: number; gid?: number }> {
    const user = this.runAs;
    const names = user ? this.inherit.filter((k) => !['HOME', 'USER', 'LOGNAME'].includes(k)) : this.inherit;
    const inherited = Object.fromEntries(
      names.flatMap((k) => (this.workerEnv[k] === undefined ? [] : [[k, this.workerEnv[k] as string]])),
    );
    if (!user) return { env: { ...inherited, ...stepEnv(req, dirs.inputs, dirs.outputs, req.codeDir) } };
    const blocked = await unreachableFor(dirs.work, user);
    if (blocked) {
      throw new ExecutorError(
        'InvalidRequest',
        `steps run as ${user.uid}:${user.gid}, who cannot enter ${blocked}; put the data dir where that user can reach it (or allow root in the step policy)`,
      );
    }
    await giveDirTo(dirs.work, user);
    await giveDirTo(dirs.outputs, user);
    const env = { ...inherited, HOME: dirs.work, ...stepEnv(req, dirs.inputs, dirs.outputs, req.codeDir) };
    return { env, uid: user.uid, gid: user.gid };
  }
}

/**
 * The exit code (128 + signal number when killed by a signal). What is left of the process
 * group when the main process exits is killed, so no process outlives its step.
 */
function exitCodeOf(child: ChildProcessByStdio<null, Readable, Readable>, cmd: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'EACCES') {
        reject(new ExecutorError('CommandNotFound', `command "${cmd}" could not be run: ${e.message}`));
      } else {
        reject(e);
      }
    });
    child.once('exit', (code, signal) => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
