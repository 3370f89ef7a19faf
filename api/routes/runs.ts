import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listRuns } from '../../core/runs/queries.js';
import type { RunContext } from '../../core/runs/context.js';
import { cancelRun, retryRun } from '../../core/runs/control.js';
import { startRun, type StartRunRequest } from '../../core/runs/start.js';
import { getRunView, runSummary as toSummary } from '../../core/runs/view.js';
import { decodeCursor, encodeCursor, limit, name, problems, timeQuery } from './common.js';
import { runStatus, runSummary, runView, startBody } from './run-schemas.js';

interface RunCursor { at: string; id: string }
const isRunCursor = (v: unknown): v is RunCursor =>
  typeof v === 'object' && v !== null && typeof (v as RunCursor).at === 'string' && typeof (v as RunCursor).id === 'string';

const runId = z.strictObject({ id: z.string().min(1).max(200) });

export const runRoutes: FastifyPluginAsyncZod<{ ctx: RunContext }> = async (app, { ctx }) => {
  async function start(req: FastifyRequest, reply: FastifyReply, r: Omit<StartRunRequest, 'trigger' | 'createdBy'>) {
    const started = await startRun(ctx, { ...r, trigger: 'api', createdBy: req.principal?.name ?? null });
    const view = await getRunView(ctx, started.runId, { live: false });
    if (started.created) {
      await req.audit({
        action: 'run.start', resourceType: 'run', resourceId: started.runId,
        details: { pipeline: view.pipeline, version: view.version, ...(r.idempotencyKey ? { idempotencyKey: r.idempotencyKey } : {}) },
      });
    }
    return reply.code(started.created ? 201 : 200).send(view);
  }

  app.post('/pipelines/:name/runs', {
    config: { role: 'operator' },
    schema: {
      tags: ['runs'], summary: 'Start a run of a pipeline (201; 200 when the idempotency key maps to an existing run)',
      params: z.strictObject({ name }), body: z.strictObject(startBody),
      response: { 200: runView, 201: runView, ...problems(400, 404, 409, 413, 429, 503) },
    },
  }, async (req, reply) => start(req, reply, { pipeline: req.params.name, ...req.body }));

  app.post('/runs', {
    config: { role: 'operator' },
    schema: {
      tags: ['runs'], summary: 'Start a run (the pipeline named in the body)',
      body: z.strictObject({ pipeline: name, ...startBody }),
      response: { 200: runView, 201: runView, ...problems(400, 404, 409, 413, 429, 503) },
    },
  }, async (req, reply) => start(req, reply, req.body));

  app.get('/runs', {
    config: { role: 'viewer' },
    schema: {
      tags: ['runs'], summary: 'List runs, newest first, with cursor pagination',
      querystring: z.strictObject({
        pipeline: z.string().optional(), status: runStatus.optional(), trigger: z.string().optional(),
        since: timeQuery.optional().describe('created at or after'), until: timeQuery.optional().describe('created before'),
        cursor: z.string().optional().describe('nextCursor of the previous page'), limit,
      }),
      response: { 200: z.object({ items: z.array(runSummary), nextCursor: z.string().nullable() }), ...problems(400) },
    },
  }, async (req) => {
    const { cursor, ...f } = req.query;
    const after = cursor ? decodeCursor(cursor, isRunCursor) : undefined;
    const rows = await listRuns(ctx.db, { ...f, ...(after ? { after: { createdAt: after.at, id: after.id } } : {}) });
    const last = rows.at(-1);
    return {
      items: rows.map(toSummary),
      nextCursor: last && rows.length === f.limit ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
    };
  });

  app.get('/runs/:id', {
    config: { role: 'viewer' },
    schema: {
      tags: ['runs'], summary: 'A run with the status of each step (live from the workflow while it runs)',
      params: runId, response: { 200: runView, ...problems(404) },
    },
  }, async (req) => getRunView(ctx, req.params.id));

  app.post('/runs/:id/cancel', {
    config: { role: 'operator' },
    schema: {
      tags: ['runs'], summary: 'Cancel a pending or running run (202: its steps are being stopped)',
      params: runId, response: { 202: runView, ...problems(404, 409, 429) },
    },
  }, async (req, reply) => {
    await cancelRun(ctx, req.params.id);
    await req.audit({ action: 'run.cancel', resourceType: 'run', resourceId: req.params.id });
    return reply.code(202).send(await getRunView(ctx, req.params.id, { live: false }));
  });

  app.post('/runs/:id/retry', {
    config: { role: 'operator' },
    schema: {
      tags: ['runs'], summary: 'Retry a failed or cancelled run from its failed step, reusing the outputs of finished steps',
      params: runId, response: { 201: runView, ...problems(404, 409, 429, 503) },
    },
  }, async (req, reply) => {
    const started = await retryRun(ctx, req.params.id, req.principal?.name ?? null);
    await req.audit({ action: 'run.retry', resourceType: 'run', resourceId: started.runId, details: { retryOf: req.params.id } });
    return reply.code(201).send(await getRunView(ctx, started.runId, { live: false }));
  });
};
