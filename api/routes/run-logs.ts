import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';
import type { LogLine } from '../../core/logs/store.js';
import { runHasFinished, stepLog } from '../../core/runs/step-logs.js';
import { openSse } from '../lib/sse.js';
import { plainText, problems } from '../schemas/common.js';

// Room for an evaluate step's `<id>.baseline` log beside a 63-character step id.
const STEP_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,71}$/;
/** After its run has finished, a log that is still open (a step that never ran) is given up on. */
const WATCH_MS = 1000;
const GRACE_TICKS = 2;

async function* textLines(stream: Readable): AsyncGenerator<string> {
  for await (const json of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (json) yield `${(JSON.parse(json) as LogLine).line}\n`;
  }
}

export const runLogRoutes: FastifyPluginAsyncZod = async (app) => {
  const { runContext: ctx, logStore: logs } = app;

  app.get(
    '/runs/:id/steps/:step/logs',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['runs'],
        summary: 'Logs of a step: JSON lines, plain text, or followed live as Server-Sent Events',
        description:
          'With `follow=true` or `Accept: text/event-stream`: `event: line` per log line (data: the JSON line, id: the byte ' +
          "offset after it; send it back as `Last-Event-ID` to resume), then `event: end` once the step's log is complete.",
        params: z.strictObject({
          id: plainText(200).min(1),
          step: z.string().max(200).regex(STEP_ID, 'not a step id'),
        }),
        querystring: z.strictObject({
          follow: z.enum(['true', 'false']).optional(),
          format: z.enum(['jsonl', 'text']).default('jsonl'),
          offset: z.coerce
            .number()
            .int()
            .min(0)
            .max(Number.MAX_SAFE_INTEGER)
            .optional()
            .describe('Byte offset to start from'),
        }),
        headers: z.object({
          'last-event-id': z
            .string()
            .regex(/^\d{1,15}$/)
            .optional(),
        }),
        response: {
          200: {
            description: 'The log',
            content: {
              'application/x-ndjson': { schema: z.any() },
              'text/plain': { schema: z.any() },
              'text/event-stream': { schema: z.any() },
            },
          },
          ...problems(400, 404),
        },
      },
    },
    async (req, reply) => {
      const { id, step } = req.params;
      const at = await stepLog(ctx, logs, id, step);

      const follow =
        req.query.follow === 'true' ||
        (req.query.follow === undefined && (req.headers.accept ?? '').includes('text/event-stream'));
      const offset = Number(req.headers['last-event-id'] ?? req.query.offset ?? 0);
      if (!follow) {
        if (!(await logs.exists(at.runId, at.stepId))) throw new NotFoundError('log of step', `${step}" of run "${id}`);
        const stream = logs.read(at.runId, at.stepId, { offset });
        if (req.query.format === 'text')
          return reply.type('text/plain; charset=utf-8').send(Readable.from(textLines(stream)));
        return reply.type('application/x-ndjson').send(stream);
      }

      const sse = openSse(req, reply);
      let reason = 'completed';
      let ticks = 0;
      const stop = new AbortController();
      const watch = setInterval(() => {
        void runHasFinished(ctx, id).then(
          (finished) => {
            if (finished && ++ticks > GRACE_TICKS) {
              reason = 'run-finished';
              stop.abort();
            }
          },
          () => undefined,
        );
      }, WATCH_MS);
      try {
        const signal = AbortSignal.any([sse.signal, stop.signal]);
        for await (const l of logs.follow(at.runId, at.stepId, { signal, offset })) {
          await sse.send('line', { ts: l.ts, stream: l.stream, line: l.line }, l.nextOffset);
        }
        if (!sse.signal.aborted) await sse.send('end', { reason });
      } catch (err) {
        req.log.error({ err }, 'log stream failed');
        await sse.send('end', { reason: 'error' });
      } finally {
        clearInterval(watch);
        sse.close();
      }
    },
  );
};
