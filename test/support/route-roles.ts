import Fastify, { type RouteOptions } from 'fastify';
import { app as sluiceApp } from '../../api/app.js';
import { loadConfig } from '../../core/config.js';
import type { Role } from '../../core/db/tables/access.js';
import type { Harness } from './harness.js';

export interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The route as OpenAPI names it. */
  path: string;
  /** A concrete URL that, once authorised, fails harmlessly (404 or 400): the matrix changes nothing. */
  url: string;
  role: Role;
  payload?: Record<string, unknown>;
}

/**
 * The least role each route needs, written down independently of the routes: viewers read;
 * operators start, cancel and schedule runs and register models and datasets; admins manage keys,
 * delete pipelines and schedules, and archive models. Checked against what the routes declare.
 * The probes /healthz and /readyz are public (PUBLIC_ROUTES).
 */
const PIPELINE_ROUTES: RouteCase[] = [
  { method: 'GET', path: '/v1/pipelines', url: '/v1/pipelines', role: 'viewer' },
  { method: 'POST', path: '/v1/pipelines', url: '/v1/pipelines', role: 'operator', payload: {} },
  { method: 'POST', path: '/v1/pipelines/validate', url: '/v1/pipelines/validate', role: 'viewer', payload: {} },
  { method: 'GET', path: '/v1/pipelines/{name}', url: '/v1/pipelines/ghost', role: 'viewer' },
  { method: 'POST', path: '/v1/code-packages', url: '/v1/code-packages', role: 'operator', payload: {} },
  {
    method: 'GET',
    path: '/v1/code-packages/{digest}',
    url: `/v1/code-packages/sha256:${'0'.repeat(64)}`,
    role: 'viewer',
  },
  { method: 'DELETE', path: '/v1/pipelines/{name}', url: '/v1/pipelines/ghost', role: 'admin' },
  {
    method: 'GET',
    path: '/v1/pipelines/{name}/versions/{version}',
    url: '/v1/pipelines/ghost/versions/1',
    role: 'viewer',
  },
  { method: 'POST', path: '/v1/pipelines/{name}/runs', url: '/v1/pipelines/ghost/runs', role: 'operator', payload: {} },
  { method: 'POST', path: '/v1/runs', url: '/v1/runs', role: 'operator', payload: {} },
  { method: 'GET', path: '/v1/runs', url: '/v1/runs', role: 'viewer' },
  { method: 'GET', path: '/v1/runs/{id}', url: '/v1/runs/ghost', role: 'viewer' },
  { method: 'POST', path: '/v1/runs/{id}/cancel', url: '/v1/runs/ghost/cancel', role: 'operator' },
  { method: 'POST', path: '/v1/runs/{id}/retry', url: '/v1/runs/ghost/retry', role: 'operator' },
  { method: 'GET', path: '/v1/runs/{id}/steps/{step}/logs', url: '/v1/runs/ghost/steps/a/logs', role: 'viewer' },
  {
    method: 'POST',
    path: '/v1/runs/{id}/steps/{step}/approve',
    url: '/v1/runs/ghost/steps/a/approve',
    role: 'operator',
  },
  { method: 'POST', path: '/v1/runs/{id}/steps/{step}/reject', url: '/v1/runs/ghost/steps/a/reject', role: 'operator' },
  { method: 'POST', path: '/v1/schedules', url: '/v1/schedules', role: 'operator', payload: {} },
  { method: 'GET', path: '/v1/schedules', url: '/v1/schedules', role: 'viewer' },
  { method: 'GET', path: '/v1/schedules/{name}', url: '/v1/schedules/ghost', role: 'viewer' },
  { method: 'DELETE', path: '/v1/schedules/{name}', url: '/v1/schedules/ghost', role: 'admin' },
  { method: 'POST', path: '/v1/schedules/{name}/pause', url: '/v1/schedules/ghost/pause', role: 'operator' },
  { method: 'POST', path: '/v1/schedules/{name}/resume', url: '/v1/schedules/ghost/resume', role: 'operator' },
  { method: 'POST', path: '/v1/schedules/{name}/trigger', url: '/v1/schedules/ghost/trigger', role: 'operator' },
  { method: 'GET', path: '/v1/events', url: '/v1/events', role: 'viewer' },
  { method: 'POST', path: '/v1/keys', url: '/v1/keys', role: 'admin', payload: {} },
  { method: 'GET', path: '/v1/keys', url: '/v1/keys', role: 'admin' },
  { method: 'DELETE', path: '/v1/keys/{id}', url: '/v1/keys/key_ghost', role: 'admin' },
];

/** Routes that need no key: the liveness and readiness probes orchestrators call. */
export const PUBLIC_ROUTES = ['GET /healthz', 'GET /readyz'];

/** Registry routes: their URLs name a model `m`, a dataset `d` and a run `r` that do not exist. */
export const REGISTRY_ROUTES: RouteCase[] = [
  { method: 'POST', path: '/v1/models', url: '/v1/models', role: 'operator' },
  { method: 'GET', path: '/v1/models', url: '/v1/models', role: 'viewer' },
  { method: 'GET', path: '/v1/models/{name}', url: '/v1/models/m', role: 'viewer' },
  { method: 'PATCH', path: '/v1/models/{name}', url: '/v1/models/m', role: 'operator' },
  { method: 'POST', path: '/v1/models/{name}/archive', url: '/v1/models/m/archive', role: 'admin' },
  { method: 'POST', path: '/v1/models/{name}/versions', url: '/v1/models/m/versions', role: 'operator' },
  { method: 'POST', path: '/v1/models/{name}/versions/upload', url: '/v1/models/m/versions/upload', role: 'operator' },
  { method: 'GET', path: '/v1/models/{name}/versions', url: '/v1/models/m/versions', role: 'viewer' },
  {
    method: 'GET',
    path: '/v1/models/{name}/versions/compare',
    url: '/v1/models/m/versions/compare?a=1&b=2',
    role: 'viewer',
  },
  { method: 'GET', path: '/v1/models/{name}/versions/{version}', url: '/v1/models/m/versions/1', role: 'viewer' },
  { method: 'PATCH', path: '/v1/models/{name}/versions/{version}', url: '/v1/models/m/versions/1', role: 'operator' },
  {
    method: 'POST',
    path: '/v1/models/{name}/versions/{version}/archive',
    url: '/v1/models/m/versions/1/archive',
    role: 'operator',
  },
  {
    method: 'GET',
    path: '/v1/models/{name}/versions/{version}/artifact',
    url: '/v1/models/m/versions/1/artifact',
    role: 'viewer',
  },
  { method: 'GET', path: '/v1/models/{name}/aliases', url: '/v1/models/m/aliases', role: 'viewer' },
  { method: 'GET', path: '/v1/models/{name}/aliases/{alias}', url: '/v1/models/m/aliases/champion', role: 'viewer' },
  { method: 'PUT', path: '/v1/models/{name}/aliases/{alias}', url: '/v1/models/m/aliases/champion', role: 'operator' },
  {
    method: 'DELETE',
    path: '/v1/models/{name}/aliases/{alias}',
    url: '/v1/models/m/aliases/champion',
    role: 'operator',
  },
  {
    method: 'POST',
    path: '/v1/models/{name}/aliases/{alias}/rollback',
    url: '/v1/models/m/aliases/champion/rollback',
    role: 'operator',
  },
  { method: 'POST', path: '/v1/datasets', url: '/v1/datasets', role: 'operator' },
  { method: 'GET', path: '/v1/datasets', url: '/v1/datasets', role: 'viewer' },
  { method: 'GET', path: '/v1/datasets/{name}', url: '/v1/datasets/d', role: 'viewer' },
  { method: 'PATCH', path: '/v1/datasets/{name}', url: '/v1/datasets/d', role: 'operator' },
  { method: 'POST', path: '/v1/datasets/{name}/versions', url: '/v1/datasets/d/versions', role: 'operator' },
  {
    method: 'POST',
    path: '/v1/datasets/{name}/versions/upload',
    url: '/v1/datasets/d/versions/upload',
    role: 'operator',
  },
  { method: 'GET', path: '/v1/datasets/{name}/versions', url: '/v1/datasets/d/versions', role: 'viewer' },
  { method: 'GET', path: '/v1/datasets/{name}/versions/{version}', url: '/v1/datasets/d/versions/1', role: 'viewer' },
  {
    method: 'GET',
    path: '/v1/datasets/{name}/versions/{version}/stats',
    url: '/v1/datasets/d/versions/1/stats',
    role: 'viewer',
  },
  {
    method: 'GET',
    path: '/v1/datasets/{name}/versions/{version}/artifact',
    url: '/v1/datasets/d/versions/1/artifact',
    role: 'viewer',
  },
  {
    method: 'GET',
    path: '/v1/lineage/models/{name}/versions/{version}',
    url: '/v1/lineage/models/m/versions/1',
    role: 'viewer',
  },
  {
    method: 'GET',
    path: '/v1/lineage/datasets/{name}/versions/{version}',
    url: '/v1/lineage/datasets/d/versions/1',
    role: 'viewer',
  },
  { method: 'GET', path: '/v1/lineage/runs/{id}', url: '/v1/lineage/runs/r', role: 'viewer' },
  { method: 'GET', path: '/v1/registry/resolve', url: '/v1/registry/resolve?uri=models:/m/1', role: 'viewer' },
];

/** Deployments: viewers read them, operators apply specs and roll back. */
export const DEPLOYMENT_ROUTES: RouteCase[] = [
  { method: 'POST', path: '/v1/deployments', url: '/v1/deployments', role: 'operator', payload: {} },
  { method: 'GET', path: '/v1/deployments', url: '/v1/deployments', role: 'viewer' },
  { method: 'GET', path: '/v1/deployments/{name}', url: '/v1/deployments/ghost', role: 'viewer' },
  { method: 'GET', path: '/v1/deployments/{name}/rollouts', url: '/v1/deployments/ghost/rollouts', role: 'viewer' },
  { method: 'GET', path: '/v1/deployments/{name}/logs', url: '/v1/deployments/ghost/logs', role: 'viewer' },
  {
    method: 'POST',
    path: '/v1/deployments/{name}/rollback',
    url: '/v1/deployments/ghost/rollback',
    role: 'operator',
  },
];

/** The inference gateway: any key may predict and send feedback (keys scoped to a deployment too). */
export const GATEWAY_ROUTES: RouteCase[] = [
  {
    method: 'POST',
    path: '/v1/deployments/{name}/predict',
    url: '/v1/deployments/ghost/predict',
    role: 'viewer',
    payload: { rows: [{ x: 1 }] },
  },
  {
    method: 'POST',
    path: '/v1/deployments/{name}/feedback',
    url: '/v1/deployments/ghost/feedback',
    role: 'viewer',
    payload: { requestId: 'ghost', label: 1 },
  },
  { method: 'GET', path: '/v1/deployments/{name}/accuracy', url: '/v1/deployments/ghost/accuracy', role: 'viewer' },
];

/** The role matrix: every route whose least role is written down. */
/** Drift monitoring: reading a deployment's drift is a viewer's. */
const DRIFT_ROUTES: RouteCase[] = [
  { method: 'GET', path: '/v1/deployments/{name}/drift', url: '/v1/deployments/ghost/drift', role: 'viewer' },
];

export const ROUTES: RouteCase[] = [
  ...PIPELINE_ROUTES,
  ...REGISTRY_ROUTES,
  ...DEPLOYMENT_ROUTES,
  ...GATEWAY_ROUTES,
  ...DRIFT_ROUTES,
];

export interface ServedRoute {
  method: string;
  /** OpenAPI style: `/v1/runs/{id}`. */
  path: string;
  /** The route's declared `config.role`; undefined means it declared none (the auth hook then requires admin). */
  role: Role | 'public' | undefined;
  hidden: boolean;
}

/** Every route the real app registers (a throwaway instance over the harness, with an onRoute hook). */
export async function servedRoutes(h: Harness): Promise<ServedRoute[]> {
  const routes: ServedRoute[] = [];
  const server = Fastify({ logger: false });
  server.addHook('onRoute', (r: RouteOptions) => {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({
        method,
        path: r.url.replace(/:(\w+)/g, '{$1}'),
        role: r.config?.role,
        hidden: Boolean((r.schema as { hide?: boolean } | undefined)?.hide) || r.url.startsWith('/docs'),
      });
    }
  });
  const config = loadConfig({ SLUICE_DATA_DIR: h.dir, SLUICE_LOG_LEVEL: 'silent' });
  await server.register(sluiceApp, {
    deps: { config, db: h.db, temporal: h.client, artifacts: h.deps.artifacts, logs: h.deps.logs },
  });
  await server.ready();
  await server.close();
  return routes;
}

/** A URL for a route that, once authorised, fails harmlessly: path params name nothing that exists. */
export function harmlessUrl(route: ServedRoute): string {
  return (
    ROUTES.find((r) => r.method === route.method && r.path === route.path)?.url ??
    route.path.replace(/\{\w+\}/g, 'ghost')
  );
}
