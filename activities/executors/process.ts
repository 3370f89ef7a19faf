import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import path from 'node:path';
import { throwIfAborted } from './abort.js';
import { LineSplitter } from './lines.js';
import { killStepOrphans, signalGroup } from './process-group.js';
import { emptyDir, ensureStepDirs, stepDirs, stepEnv } from './step-env.js';
import { defaultToolsDir } from '../../core/temporal/binary.js';
import { PythonEnvs } from './python-env.js';
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

  constructor(opts: ProcessExecutorOptions = {}) {
    this.grace = opts.killGraceMs ?? 2_000;
    this.cancelGraceMs = opts.cancelGraceMs ?? 1_000;
    this.inherit = opts.inheritEnv ?? DEFAULT_INHERIT;
    this.workerEnv = opts.workerEnv ?? process.env;
    this.pythonEnvs = new PythonEnvs(opts.toolsDir ?? defaultToolsDir());
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
    throwIfAborted(req);

    const inherited = Object.fromEntries(
      this.inherit.flatMap((k) => (this.workerEnv[k] === undefined ? [] : [[k, this.workerEnv[k] as string]])),
    );
    const env: Record<string, string> = { ...inherited, ...stepEnv(req, dirs.inputs, dirs.outputs, req.codeDir) };
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
