import { ApiError } from './client.js';
import { err } from './output.js';

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;
/** A follower gives up only after the API has been unreachable this long in one stretch. */
const GIVE_UP_AFTER_MS = 5 * 60_000;

/**
 * An outage worth waiting out: the API cannot be reached, answers that it cannot serve now (a
 * restart behind a proxy, a database outage), or dropped a response mid-body. A problem the API
 * states about the request itself (4xx) is final.
 */
export function isTransient(e: unknown): boolean {
  if (e instanceof ApiError) return [0, 502, 503, 504].includes(e.problem.status);
  return e instanceof TypeError || (e as { code?: string }).code === 'ECONNRESET';
}

/**
 * Tells the user (on stderr) that a follower lost the API and is reconnecting, and waits with
 * capped exponential backoff; `ok()` after a success ends the outage. Throws the last error once
 * the API has been gone for GIVE_UP_AFTER_MS.
 */
export class Reconnect {
  private since: number | undefined;
  private delay = FIRST_DELAY_MS;

  constructor(
    private readonly what: string,
    private readonly giveUpAfterMs = GIVE_UP_AFTER_MS,
  ) {}

  async wait(cause: unknown): Promise<void> {
    const now = Date.now();
    this.since ??= now;
    if (now - this.since >= this.giveUpAfterMs) throw cause;
    const why = cause instanceof Error ? cause.message : String(cause);
    err(`reconnecting… (${this.what}: ${why}; next try in ${(this.delay / 1000).toFixed(1)} s)`);
    await new Promise((r) => setTimeout(r, this.delay));
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
  }

  ok(): void {
    if (this.since !== undefined)
      err(`reconnected (${this.what}) after ${((Date.now() - this.since) / 1000).toFixed(1)} s`);
    this.since = undefined;
    this.delay = FIRST_DELAY_MS;
  }
}
