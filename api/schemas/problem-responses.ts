import { problems } from './common.js';

interface RouteShape {
  method: string | string[];
  url: string;
  config?: { role?: string };
  schema?: {
    hide?: boolean;
    params?: unknown;
    querystring?: unknown;
    headers?: unknown;
    body?: unknown;
    response?: Record<string | number, unknown>;
  };
}

const READS = ['GET', 'HEAD'];

/**
 * The error statuses a route can answer whatever its handler does, from the layers in front of it:
 * validation and body parsing (400, 413, 415), page cursors (404), the router (414), Node's HTTP parser (431), the key
 * check (401, 403, and 503 while the database it reads is down) and the write rate limit (429).
 * Added to the route's documented responses where the route did not list them itself.
 */
export function documentFrameworkProblems(route: RouteShape): void {
  const { schema } = route;
  if (!schema?.response || schema.hide) return;
  const methods = [route.method].flat();
  const writes = methods.some((m) => !READS.includes(m));
  const codes = [431];
  if (writes || [schema.params, schema.querystring, schema.headers, schema.body].some((s) => s !== undefined))
    codes.push(400);
  if (route.url.includes(':')) codes.push(414);
  // A cursor that names no page (api/lib/cursor.ts).
  if ((schema.querystring as { shape?: Record<string, unknown> } | undefined)?.shape?.cursor) codes.push(404);
  if (writes) codes.push(413, 415);
  if (route.config?.role !== 'public') codes.push(401, 403, 503);
  if (writes && route.url.startsWith('/v1/')) codes.push(429);
  const documented = problems(...codes);
  for (const code of codes) schema.response[code] ??= documented[code];
}
