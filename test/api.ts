import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildServer } from '../api/server.js';
import { loadConfig } from '../core/config.js';
import { issueKey } from '../core/access/keys.js';
import type { Role } from '../core/db/tables/access.js';
import type { Harness } from './harness.js';

export interface ApiHarness {
  app: FastifyInstance;
  keys: Record<Role, string>;
  /** app.inject with `Authorization: Bearer <key of role>` (or none for role undefined). */
  call(role: Role | undefined, opts: InjectOptions): Promise<LightMyRequestResponse>;
}

/** The real API over a test harness' DB, Temporal client and stores, with a key per role; closed with the harness. */
export async function createApi(h: Harness, env: Record<string, string> = {}): Promise<ApiHarness> {
  const config = loadConfig({ SLUICE_DATA_DIR: h.dir, SLUICE_TASK_QUEUE: h.taskQueue, SLUICE_LOG_LEVEL: 'silent', ...env });
  const app = await buildServer({ config, db: h.db, temporal: h.client, artifacts: h.deps.artifacts, logs: h.deps.logs });
  await app.ready();
  h.onClose(() => app.close());
  const keys = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) keys[role] = (await issueKey(h.db, { name: `test-${role}`, role })).key;
  return {
    app, keys,
    call: (role, opts) => app.inject({
      ...opts,
      headers: { ...(opts.headers ?? {}), ...(role ? { authorization: `Bearer ${keys[role]}` } : {}) },
    }),
  };
}
