import { CancelledFailure, type Context } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long the outputs of a finished step are retried against a failing store, within one attempt. */
export interface StoreRetry {
  initialMs: number;
  maxIntervalMs: number;
  /** After this, the attempt fails (retryably); the next one picks the outputs up from disk. */
  budgetMs: number;
}

export const DEFAULT_STORE_RETRY: StoreRetry = { initialMs: 500, maxIntervalMs: 10_000, budgetMs: 3 * 60_000 };

/** Errors of the local files themselves, which retrying cannot fix. */
const LOCAL_CODES = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES', 'EPERM']);

/**
 * Runs `fn` until it succeeds, with exponential backoff between tries, while the budget lasts.
 * A store or database that is away for seconds costs a wait, not a second run of the step.
 * Stops at once on a cancel.
 */
export async function withBackoff<T>(
  ctx: Context,
  what: string,
  fn: () => Promise<T>,
  retry: StoreRetry = DEFAULT_STORE_RETRY,
): Promise<T> {
  const deadline = Date.now() + retry.budgetMs;
  let wait = retry.initialMs;
  for (let tries = 1; ; tries++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code && LOCAL_CODES.has(code)) || Date.now() + wait > deadline) throw err;
      ctx.log.warn(`${what} failed (try ${tries}), retrying in ${wait} ms: ${(err as Error).message}`);
      try {
        await sleep(wait, undefined, { signal: ctx.cancellationSignal });
      } catch {
        throw new CancelledFailure(`cancelled while retrying: ${what}`);
      }
      wait = Math.min(wait * 2, retry.maxIntervalMs);
    }
  }
}

/** Heartbeats every second until the returned stop() (a long upload must not look like a dead worker). */
export function keepBeating(ctx: Context, phase: string): () => void {
  const beat = setInterval(() => ctx.heartbeat({ phase }), 1_000);
  return () => clearInterval(beat);
}
