import type Docker from 'dockerode';
import { statusOf } from './docker-errors.js';

/** How long a container may sit in "created" before another worker treats it as abandoned. */
const CREATED_GRACE_MS = 3_000;

/**
 * The container's state; one still "created" gets a moment to be started by the worker that
 * created it (create and start are two calls) before it counts as abandoned.
 */
export async function settledState(
  container: Docker.Container,
): Promise<Docker.ContainerInspectInfo['State'] | undefined> {
  const deadline = Date.now() + CREATED_GRACE_MS;
  for (;;) {
    const state = (await container.inspect().catch(() => undefined))?.State;
    if (state?.Status !== 'created' || Date.now() > deadline) return state;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Force-removes (with anonymous volumes); already gone or being removed is fine. */
export async function removeContainer(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    const status = statusOf(err);
    if (status !== 404 && status !== 409) throw err;
  }
}
