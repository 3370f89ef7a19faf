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

const checkResult = z.object({
  ok: z.boolean(),
  error: z.string().optional().describe('why the check failed, when it did'),
});
const readiness = z.object({
  status: z.enum(['ok', 'degraded']).describe('ok: every dependency answered; degraded: at least one did not'),
  checks: z
    .object({ database: checkResult, temporal: checkResult })
    .describe('one entry per dependency: the metadata database and Temporal'),
});

// Orchestrators probe these without credentials, so both are public; they reveal only which
// dependency is down, never data.
export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    {
      config: { role: 'public' },
      schema: {
        tags: ['health'],
        summary: 'The process is alive',
        description: 'Liveness probe: public (no API key), answers 200 while the process serves HTTP.',
        security: [],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { role: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Temporal and the metadata database are reachable',
        description:
          'Readiness probe: public (no API key), for orchestrators and load balancers. Each dependency is ' +
          `asked with a ${CHECK_TIMEOUT_MS} ms limit; \`checks\` says which one is down and why.`,
        security: [],
        response: {
          200: readiness.describe('every dependency answered: status ok'),
          503: readiness.describe(
            'at least one dependency did not answer: status degraded, the failed check names why',
          ),
        },
      },
    },
    async (_req, reply) => {
      const { temporal, db } = app;
      const run = async (what: string, f: () => Promise<unknown>) => {
        try {
          await withTimeout(f(), what);
          return { ok: true };
        } catch (err) {
          return { ok: false, error: (err as Error).message || String(err) };
        }
      };
      const [database, t] = await Promise.all([
        run('the database', () => sql`select 1`.execute(db)),
        run('Temporal', () => temporal.connection.workflowService.getSystemInfo({})),
      ]);
      const ok = database.ok && t.ok;
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks: { database, temporal: t } });
    },
  );
};
