import { hostname } from 'node:os';
import { loadConfig } from '../core/config.js';

/**
 * The container health check: undefined when healthy, else what is wrong.
 * - api: GET /readyz on the container's own port answers 200 (the database and Temporal answer).
 * - worker: Temporal lists a poller from this container (identity `<pid>@<hostname>`) on the task queue,
 *   i.e. the worker is connected and taking work, not merely a live process.
 */
export async function checkHealth(env: Record<string, string | undefined>): Promise<string | undefined> {
  const config = loadConfig(env);
  const role = env.SLUICE_ROLE ?? 'api';
  const timeout = AbortSignal.timeout(4000);
  if (role === 'api') {
    const url = `http://127.0.0.1:${config.api.port}/readyz`;
    try {
      const res = await fetch(url, { signal: timeout });
      return res.ok ? undefined : `${url} answered ${res.status}`;
    } catch (err) {
      return `${url}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (role === 'worker') {
    if (!config.temporal.address) return 'SLUICE_TEMPORAL_ADDRESS is not set';
    const { Client, Connection } = await import('@temporalio/client');
    const connection = await Connection.connect({ address: config.temporal.address, connectTimeout: 4000 });
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace });
      const res = await client.workflowService.describeTaskQueue({
        namespace: config.temporal.namespace,
        taskQueue: { name: config.temporal.taskQueue },
      });
      const mine = (res.pollers ?? []).some((p) => (p.identity ?? '').endsWith(`@${hostname()}`));
      return mine ? undefined : `no poller from ${hostname()} on task queue ${config.temporal.taskQueue}`;
    } finally {
      await connection.close();
    }
  }
  return `SLUICE_ROLE must be api or worker, not '${role}'`;
}
