import type Docker from 'dockerode';

/**
 * Milliseconds from `since` (the cancel request) until no container of `runId` is left, polled
 * every 50 ms by label: how long a cancel takes to reach and remove a step's container.
 */
export async function msUntilContainersRemoved(
  docker: Docker,
  runId: string,
  since: number,
  timeoutMs = 60_000,
): Promise<number> {
  for (;;) {
    const left = await docker.listContainers({ all: true, filters: { label: [`sluice.run=${runId}`] } });
    const now = Date.now();
    if (left.length === 0) return now - since;
    if (now - since > timeoutMs) throw new Error(`containers of ${runId} still there ${timeoutMs} ms after the cancel`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
