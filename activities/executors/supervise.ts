import { StepAbortedError } from './abort.js';
import { ExecutorError, type StepRunRequest } from './types.js';

/** A started step as supervise() drives it: a container, or a process group. */
export interface StartedStep {
  /** The exit code (128 + signal number when killed) once the step's main process ended. */
  exited: Promise<number>;
  /** Resolves when the log streams end on their own after the exit. */
  logsEnded: Promise<void>;
  /** Stops reading the logs and emits what they still hold (a last line without "\n"). */
  flushLogs(): Promise<void> | void;
  /** Asks the step to end (SIGTERM or the engine's stop) within `graceMs`; must not throw. */
  terminate(graceMs: number): void;
  /** Ends the step at once once the grace after terminate() ran out; must not throw. */
  kill(): void;
  /** The last stderr line, for the command-not-found message. */
  lastStderr(): string | undefined;
}

export interface SuperviseOptions {
  /** terminate()-to-kill() grace on timeout. */
  graceMs: number;
  /**
   * The same on abort (a cancel, or the worker shutting down), shorter: whoever cancels waits for
   * the container to go, and a cancelled step's work is thrown away anyway.
   */
  cancelGraceMs: number;
  /** Run time the step has left; undefined when it no longer runs (no timer is armed). */
  timeLeftMs: number | undefined;
  /** How long the logs may take to end after the exit before they are flushed anyway. */
  logDrainMs: number;
  /** Where the command ran, appended to the command-not-found message (` in image "x"`). */
  where?: string;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits for a started step to end, stopping it when req.timeoutMs passes (the result says
 * timedOut) or req.signal aborts (rejects with StepAbortedError), and drains its logs.
 * Exit code 127 of a step nobody stopped is the shell's "command not found", which retrying
 * cannot fix. Cleaning up (removing the container, forgetting the group) is the caller's.
 */
export async function supervise(
  req: StepRunRequest,
  step: StartedStep,
  opts: SuperviseOptions,
): Promise<{ exitCode: number; timedOut: boolean }> {
  let stoppedFor: 'timeout' | 'abort' | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'abort') => {
    if (stoppedFor) return;
    stoppedFor = why;
    const graceMs = why === 'abort' ? opts.cancelGraceMs : opts.graceMs;
    step.terminate(graceMs);
    killTimer = setTimeout(() => step.kill(), graceMs);
  };
  const onAbort = () => stop('abort');
  req.signal.addEventListener('abort', onAbort, { once: true });
  if (req.signal.aborted) onAbort();
  const left = opts.timeLeftMs;
  const timer =
    left === undefined ? undefined : setTimeout(() => stop('timeout'), Math.min(Math.max(0, left), MAX_TIMER_MS));

  try {
    const exitCode = await step.exited;
    await Promise.race([step.logsEnded, new Promise((r) => setTimeout(r, opts.logDrainMs).unref())]);
    await step.flushLogs();
    if (stoppedFor === 'abort') throw new StepAbortedError(req);
    if (exitCode === 127 && !stoppedFor) {
      const stderr = step.lastStderr() ?? 'no stderr';
      throw new ExecutorError(
        'CommandNotFound',
        `step exited with 127 (command not found)${opts.where ?? ''}: ${stderr}`,
      );
    }
    return { exitCode, timedOut: stoppedFor === 'timeout' };
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
    req.signal.removeEventListener('abort', onAbort);
  }
}
