import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { buildServer } from '../../api/server.js';
import { loadConfig } from '../../core/config.js';
import { issueKey } from '../../core/access/keys.js';
import type { Role } from '../../core/db/tables/access.js';
import { createHarness, type Harness, type HarnessOptions } from './harness.js';

export interface ApiHarness {
  app: FastifyInstance;
  keys: Record<Role, string>;
  /** app.inject with `Authorization: Bearer <key of role>` (or none for role undefined). */
  call(role: Role | undefined, opts: InjectOptions): Promise<LightMyRequestResponse>;
}

/** The real API over a test harness' DB, Temporal client and stores, with a key per role; closed with the harness. */
export async function createApi(h: Harness, env: Record<string, string> = {}): Promise<ApiHarness> {
  const config = loadConfig({
    SLUICE_DATA_DIR: h.dir,
    SLUICE_TASK_QUEUE: h.taskQueue,
    SLUICE_LOG_LEVEL: 'silent',
    // Like the embedded stack: the harness' worker runs steps as local processes.
    SLUICE_POLICY_EXECUTORS: 'docker,process',
    ...env,
  });
  const app = await buildServer({
    config,
    db: h.db,
    temporal: h.client,
    artifacts: h.deps.artifacts,
    logs: h.deps.logs,
  });
  await app.ready();
  h.onClose(() => app.close());
  const keys = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const)
    keys[role] = (await issueKey(h.db, { name: `test-${role}`, role })).key;
  return {
    app,
    keys,
    call: (role, opts) =>
      app.inject({
        ...opts,
        headers: { ...(opts.headers ?? {}), ...(role ? { authorization: `Bearer ${keys[role]}` } : {}) },
      }),
  };
}

export interface UseApiOptions extends HarnessOptions {
  /** Run an in-process worker on the harness' task queue, for tests that start runs. */
  worker?: boolean;
  /** Extra SLUICE_* settings for the API's config. */
  env?: Record<string, string>;
}

/** The API of a describe block, and the harness under it (`h`). */
export type ApiFixture = ApiHarness & { h: Harness };

/**
 * A harness and the real API over it for the enclosing describe block: both are built in
 * beforeAll and closed in afterAll. Fields are set once beforeAll ran, so read them inside
 * tests and later hooks, never while the block is being defined.
 */
export function useApi(opts: UseApiOptions = {}): ApiFixture {
  const { worker, env, ...harness } = opts;
  const fixture = {} as ApiFixture;
  beforeAll(async () => {
    fixture.h = await createHarness(harness);
    if (worker) await fixture.h.startInProcessWorker();
    Object.assign(fixture, await createApi(fixture.h, env));
  });
  afterAll(async () => {
    await fixture.h?.close();
  });
  return fixture;
}

/** Asserts a problem+json error with `status` whose `errors` name `path` (when given). */
export function expectProblem(
  res: LightMyRequestResponse,
  status: number,
  path?: string | RegExp,
): Record<string, unknown> {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  const body = res.json() as { errors?: Array<{ path: string }>; detail: string };
  expect(body.detail).not.toMatch(/\n\s+at /); // no stack trace
  if (path !== undefined) {
    const paths = (body.errors ?? []).map((e) => e.path);
    expect(
      paths.some((p) => (typeof path === 'string' ? p === path : path.test(p))),
      `${JSON.stringify(paths)} should name ${path}`,
    ).toBe(true);
  }
  return body;
}
