type NotYet = undefined | null | false;

/**
 * Polls `probe` until it returns something other than undefined, null or false, and returns that.
 * Tests wait on conditions, never on fixed sleeps: under CPU load a sleep is either too short or wasted.
 * `what` names the condition in the timeout error; a function is asked only then (e.g. for the last state seen).
 */
export async function waitFor<T>(
  what: string | (() => string),
  probe: () => Promise<T | NotYet> | T | NotYet,
  timeoutMs = 15_000,
): Promise<Exclude<T, NotYet>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value as Exclude<T, NotYet>;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
