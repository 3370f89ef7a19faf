import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { audited } from '../../core/access/audit.js';
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  triggerSchedule,
} from '../../core/schedules/schedules.js';
import { plainText, problems } from '../schemas/common.js';
import { byScheduleName as byName, noteBody, schedule, scheduleBody } from '../schemas/schedules.js';

export const scheduleRoutes: FastifyPluginAsyncZod = async (app) => {
  const { runContext: ctx, db } = app;
  // Schedules live in Temporal, which no database transaction spans: a change's audit event can
  // only be appended once Temporal has accepted it.
  const audit = (req: FastifyRequest, action: string, id: string, details?: Record<string, unknown>) =>
    audited(db, req.actor, (uow) => uow.audit(action, 'schedule', id, details));

  app.post(
    '/schedules',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['schedules'],
        summary: 'Schedule a pipeline on a cron expression or an interval (a Temporal Schedule)',
        body: scheduleBody,
        response: { 201: schedule, ...problems(400, 404, 409, 413, 429) },
      },
    },
    async (req, reply) => {
      const view = await createSchedule(ctx, { ...req.body, createdBy: req.principal?.name ?? null });
      await audit(req, 'schedule.create', req.body.name, {
        pipeline: view.pipeline,
        version: view.version,
        cron: view.cron,
        every: view.every,
      });
      return reply.code(201).send(view);
    },
  );

  app.get(
    '/schedules',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['schedules'],
        summary: 'List schedules (Temporal lists them with a short delay after creation)',
        querystring: z.strictObject({ pipeline: plainText(200).optional() }),
        response: { 200: z.object({ items: z.array(schedule) }), ...problems(400) },
      },
    },
    async (req) => ({ items: await listSchedules(ctx, req.query) }),
  );

  app.get(
    '/schedules/:name',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['schedules'],
        summary: 'A schedule with its next run times and recent runs',
        params: byName,
        response: { 200: schedule, ...problems(404) },
      },
    },
    async (req) => getSchedule(ctx, req.params.name),
  );

  for (const [verb, action, summary, fn] of [
    ['pause', 'schedule.pause', 'Pause a schedule', pauseSchedule],
    ['resume', 'schedule.resume', 'Resume a paused schedule', resumeSchedule],
  ] as const) {
    app.post(
      `/schedules/:name/${verb}`,
      {
        config: { role: 'operator' },
        schema: {
          tags: ['schedules'],
          summary,
          params: byName,
          body: noteBody,
          response: { 200: schedule, ...problems(400, 404, 429) },
        },
      },
      async (req) => {
        await fn(ctx, req.params.name, req.body?.note);
        await audit(req, action, req.params.name, req.body?.note ? { note: req.body.note } : undefined);
        return getSchedule(ctx, req.params.name);
      },
    );
  }

  app.post(
    '/schedules/:name/trigger',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['schedules'],
        summary: 'Start a run of the schedule now (202: Temporal starts it within moments)',
        params: byName,
        response: { 202: z.object({ triggered: z.literal(true) }), ...problems(404, 429) },
      },
    },
    async (req, reply) => {
      await triggerSchedule(ctx, req.params.name);
      await audit(req, 'schedule.trigger', req.params.name);
      return reply.code(202).send({ triggered: true as const });
    },
  );

  app.delete(
    '/schedules/:name',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['schedules'],
        summary: 'Delete a schedule (its past runs stay)',
        params: byName,
        response: { 204: z.null(), ...problems(404) },
      },
    },
    async (req, reply) => {
      await deleteSchedule(ctx, req.params.name);
      await audit(req, 'schedule.delete', req.params.name);
      return reply.code(204).send(null);
    },
  );
};
