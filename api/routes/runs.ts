import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cancelRun, retryRun } from '../../core/runs/control.js';
import { listRunSummaries } from '../../core/runs/list.js';
import { startRun, type StartRunRequest } from '../../core/runs/start.js';
import { getRunView } from '../../core/runs/view.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { pipelineName, problems } from '../schemas/common.js';
import { runIdParams, runListQuery, runSummary, runView, startBody } from '../schemas/runs.js';

interface RunCursor {
  at: string;
  id: string;
}
const isRunCursor = (v: unknown): v is RunCursor =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as RunCursor).at === 'string' &&
  typeof (v as RunCursor).id === 'string';

export const runRoutes: FastifyPluginAsyncZod = async (app) => {
  const ctx = app.runContext;

  async function start(req: FastifyRequest, reply: FastifyReply, r: Omit<StartRunRequest, 'trigger' | 'createdBy'>) {
    const started = await startRun(ctx, { ...r, trigger: 'api', createdBy: req.principal?.name ?? null }, req.actor);
    return reply.code(started.created ? 201 : 200).send(await getRunView(ctx, started.runId, { live: false }));
  }

  app.post(
    '/pipelines/:name/runs',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['runs'],
        summary: 'Start a run of a pipeline (201; 200 when the idempotency key maps to an existing run)',
        params: z.strictObject({ name: pipelineName }),
        body: z.strictObject(startBody),
        response: { 200: runView, 201: runView, ...problems(400, 404, 409, 413, 429, 503) },
      },
    },
    async (req, reply) => start(req, reply, { pipeline: req.params.name, ...req.body }),
  );

  app.post(
    '/runs',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['runs'],
        summary: 'Start a run (the pipeline named in the body)',
        body: z.strictObject({ pipeline: pipelineName, ...startBody }),
        response: { 200: runView, 201: runView, ...problems(400, 404, 409, 413, 429, 503) },
      },
    },
    async (req, reply) => start(req, reply, req.body),
  );

  app.get(
    '/runs',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['runs'],
        summary: 'List runs, newest first, with cursor pagination',
        querystring: runListQuery,
        response: {
          200: z.object({ items: z.array(runSummary), nextCursor: z.string().nullable() }),
          ...problems(400),
        },
      },
    },
    async (req, reply) => {
      const { cursor, ...f } = req.query;
      const after = cursor ? decodeCursor(cursor, isRunCursor) : undefined;
      // Serialised once per cached page: the items already have exactly the schema's shape.
      const body = await app.runLists.page(JSON.stringify(req.query), async () => {
        const page = await listRunSummaries(ctx.db, {
          ...f,
          ...(after ? { after: { createdAt: after.at, id: after.id } } : {}),
        });
        const nextCursor = page.next ? encodeCursor({ at: page.next.createdAt, id: page.next.id }) : null;
        return JSON.stringify({ items: page.items, nextCursor });
      });
      // A string with a JSON content type goes out as it is (the typed reply expects the object).
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );

  app.get(
    '/runs/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['runs'],
        summary: 'A run with the status of each step (live from the workflow while it runs)',
        params: runIdParams,
        response: { 200: runView, ...problems(404) },
      },
    },
    async (req) => getRunView(ctx, req.params.id),
  );

  app.post(
    '/runs/:id/cancel',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['runs'],
        summary: 'Cancel a pending or running run (202: its steps are being stopped)',
        params: runIdParams,
        response: { 202: runView, ...problems(404, 409, 429) },
      },
    },
    async (req, reply) => {
      await cancelRun(ctx, req.params.id, req.actor);
      return reply.code(202).send(await getRunView(ctx, req.params.id, { live: false }));
    },
  );

  app.post(
    '/runs/:id/retry',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['runs'],
        summary: 'Retry a failed or cancelled run from its failed step, reusing the outputs of finished steps',
        params: runIdParams,
        response: { 201: runView, ...problems(404, 409, 429, 503) },
      },
    },
    async (req, reply) => {
      const started = await retryRun(ctx, req.params.id, req.actor);
      return reply.code(201).send(await getRunView(ctx, started.runId, { live: false }));
    },
  );
};
