import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isDatabaseUnavailable } from '../../core/db/unavailable.js';
import { type FieldIssue, SluiceError } from '../../core/errors.js';

const TYPE_BASE = 'https://sluice.dev/problems/';
/** Seconds a client is asked to wait while the database is unavailable: a restart takes a few. */
const DATABASE_RETRY_AFTER_S = 5;

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId: string;
  errors?: FieldIssue[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function problem(status: number, slug: string, detail: string, requestId: string, instance?: string): Problem {
  return {
    type: `${TYPE_BASE}${slug}`,
    title: TITLES[status] ?? STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...(instance !== undefined ? { instance } : {}),
    requestId,
  };
}

function sendProblem(
  reply: FastifyReply,
  req: FastifyRequest,
  status: number,
  slug: string,
  detail: string,
  errors?: FieldIssue[],
): FastifyReply {
  const body: Problem = {
    ...problem(status, slug, detail, String(req.id), req.url),
    ...(errors?.length ? { errors } : {}),
  };
  return reply.code(status).type('application/problem+json').send(body);
}

function zodPath(instancePath: string, part: string): string {
  const tail = instancePath
    .replace(/^\//, '')
    .split('/')
    .filter(Boolean)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
    .join('');
  return `${part}${tail}`;
}

/**
 * The one error handler: validation → 400 naming each field; domain errors → their status; the
 * database unreachable → 503 with Retry-After; everything unexpected → 500 with no internals. Every 5xx is logged here, with its cause and
 * the request id the client was told to quote.
 */
export const problemHandling = fp(
  async (app: FastifyInstance) => {
    /** No route for this method and path: 405 naming the methods the path's resource answers, else 404. */
    const routesOf = (path: string) =>
      METHODS.flatMap((method) => {
        const route = app.findRoute({ method, url: path });
        return route ? [{ method, params: Object.keys(route.params ?? {}).length }] : [];
      });
    const notFound = (req: FastifyRequest, reply: FastifyReply) => {
      const path = req.url.split('?')[0]!;
      const matches = routesOf(path);
      if (matches.length === 0) return sendProblem(reply, req, 404, 'not-found', `no route ${req.method} ${path}`);
      // `/v1/pipelines/validate` also matches `/v1/pipelines/{name}`: the most specific route is the resource.
      const fewest = Math.min(...matches.map((m) => m.params));
      const allow = matches.filter((m) => m.params === fewest).map((m) => m.method);
      reply.header('allow', allow.join(', '));
      return sendProblem(
        reply,
        req,
        405,
        'method-not-allowed',
        `${path} answers ${allow.join(', ')}, not ${req.method}`,
      );
    };
    app.setErrorHandler((err: FastifyError, req, reply) => {
      // A method no route has (QUERY, with a body Fastify wants to parse first) still gets its 404/405.
      if (req.is404) return notFound(req, reply);
      if (hasZodFastifySchemaValidationErrors(err)) {
        const part = (err as { validationContext?: string }).validationContext ?? 'body';
        const errors = err.validation.flatMap((v) => {
          // One issue per unknown field, each at its own path, so a client can point at it.
          const unknown = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: string[] }).keys : undefined;
          return unknown?.length
            ? unknown.map((k) => ({
                path: zodPath(`${v.instancePath}/${k}`, part),
                message: 'unknown field; remove it',
              }))
            : [{ path: zodPath(v.instancePath, part), message: v.message ?? 'invalid' }];
        });
        return sendProblem(
          reply,
          req,
          400,
          'validation',
          `invalid ${part}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
          errors,
        );
      }
      if (!(err instanceof SluiceError && err.status < 500) && isDatabaseUnavailable(err)) {
        req.log.warn({ err }, 'database unavailable');
        reply.header('retry-after', String(DATABASE_RETRY_AFTER_S));
        return sendProblem(
          reply,
          req,
          503,
          'database-unavailable',
          `the metadata database is unavailable; retry in ${DATABASE_RETRY_AFTER_S} s`,
        );
      }
      if (err instanceof SluiceError) {
        // A 5xx domain error (e.g. Temporal refusing a start) reaches the client without its cause.
        if (err.status >= 500) req.log.error({ err, cause: err.cause }, err.message);
        return sendProblem(reply, req, err.status, err.type, err.message, err.issues);
      }
      const status = err.statusCode ?? 500;
      if (status === 413)
        return sendProblem(
          reply,
          req,
          413,
          'body-too-large',
          'request body is larger than the configured limit (SLUICE_BODY_LIMIT_BYTES)',
        );
      if (status === 415) return sendProblem(reply, req, 415, 'unsupported-media-type', err.message);
      if (status === 429) return sendProblem(reply, req, 429, 'rate-limited', err.message);
      if (status === 400 && err.code?.startsWith('FST_ERR_CTP_'))
        return sendProblem(reply, req, 400, 'invalid-body', `the body could not be read: ${err.message}`);
      if (status >= 400 && status < 500) return sendProblem(reply, req, status, 'bad-request', err.message);
      req.log.error({ err }, 'request failed');
      return sendProblem(reply, req, 500, 'internal', `internal error; quote request id ${req.id} when reporting it`);
    });
    app.setNotFoundHandler(notFound);
    // Fastify's own 503 while closing is plain JSON (return503OnClosing is off in server.ts): this one is a problem.
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    // Only routes another route with fewer parameters could also match need the look-up below: known
    // once every route is registered, so the common request (predictions) skips it.
    const templates: string[] = [];
    app.addHook('onRoute', (route) => void templates.push(route.url));
    let shadowable: Set<string> | undefined;
    app.addHook('onRequest', async (req, reply) => {
      // PATCH /v1/models/m/versions/compare reaches `/versions/:version` only because PATCH has no
      // `/versions/compare`: the resource the path names is the static one, which answers 405.
      if (!closing && !req.is404) {
        shadowable ??= mayBeShadowed(templates);
        if (shadowable.has(req.routeOptions.url!)) {
          const params = Object.keys(req.params ?? {}).length;
          if (routesOf(req.url.split('?')[0]!).some((r) => r.params < params)) return notFound(req, reply);
        }
      }
      if (!closing) return;
      reply.header('connection', 'close');
      return sendProblem(reply, req, 503, 'closing', 'the server is shutting down; retry on another instance');
    });
  },
  { name: 'sluice-problems' },
);

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const isParam = (segment: string) => segment.includes(':') || segment.includes('*');
const paramCount = (segments: string[]) => segments.filter(isParam).length;

/**
 * Route templates with parameters whose URLs a template with fewer parameters (of any method) may
 * also match: `/models/:name/versions/:version` and `/models/:name/versions/compare`. Conservative:
 * a segment with a parameter or a wildcard is taken to match anything.
 */
export function mayBeShadowed(templates: readonly string[]): Set<string> {
  const split = [...new Set(templates)].map((t) => ({ t, s: t.split('/') }));
  const compatible = (a: string, b: string) => a === b || isParam(a) || isParam(b);
  const overlap = (a: string[], b: string[]) => {
    const wild = b.at(-1)?.includes('*') ? b.length - 1 : undefined;
    if (wild === undefined) return a.length === b.length && a.every((x, i) => compatible(x, b[i]!));
    return a.length >= wild && b.slice(0, wild).every((y, i) => compatible(a[i]!, y));
  };
  const out = new Set<string>();
  for (const r of split) {
    const n = paramCount(r.s);
    if (n === 0) continue;
    if (split.some((o) => o !== r && paramCount(o.s) < n && (overlap(r.s, o.s) || overlap(o.s, r.s)))) out.add(r.t);
  }
  return out;
}

/**
 * Errors Fastify raises before any route or hook runs (set as the server's `frameworkErrors`): a
 * malformed URL, or a path parameter over the router's length limit.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (err, req, reply) => {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return void sendProblem(reply, req, 414, 'uri-too-long', 'a path parameter is longer than the router accepts');
  if (err.code === 'FST_ERR_BAD_URL') return void sendProblem(reply, req, 400, 'bad-url', 'the URL is malformed');
  req.log.error({ err }, 'framework error');
  return void sendProblem(reply, req, 500, 'internal', `internal error; quote request id ${req.id} when reporting it`);
};

/** Requests Node's HTTP parser refuses (bad framing, huge headers, timeouts) never reach Fastify's reply. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request took too long to arrive']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are larger than the server accepts']
        : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify(problem(status, 'client-error', detail, randomUUID()));
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(err);
}
