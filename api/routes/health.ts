import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer in ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

const checkResult = z.object({ ok: z.boolean(), error: z.string().optional() });
const readiness = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.object({ temporal: checkResult, database: checkResult }),
});

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    {
      config: { role: 'public' },
      schema: {
        tags: ['health'],
        summary: 'The process is alive',
        security: [],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['health'],
        summary: 'Temporal and the metadata database are reachable',
        response: { 200: readiness, 503: readiness },
      },
    },
    async (_req, reply) => {
      const { temporal, db } = app;
      const run = async (what: string, f: () => Promise<unknown>) => {
        try {
          await withTimeout(f(), what);
          return { ok: true };
        } catch (err) {
          return { ok: false, error: (err as Error).message };
        }
      };
      const [t, d] = await Promise.all([
        run('Temporal', () => temporal.connection.workflowService.getSystemInfo({})),
        run('database', () => sql`select 1`.execute(db)),
      ]);
      const ready = t.ok && d.ok;
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not-ready', checks: { temporal: t, database: d } });
    },
  );
};
