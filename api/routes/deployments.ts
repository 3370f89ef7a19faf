import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getDeployment, listDeployments } from '../../core/deployments/deployments.js';
import { instanceLogs } from '../../core/deployments/logs.js';
import { parseDeploymentSpec } from '../../core/deployments/parse.js';
import { checkServerInstallation } from '../../core/deployments/serving-checks.js';
import { listRollouts } from '../../core/deployments/rollouts.js';
import { getRoutes } from '../../core/deployments/routes.js';
import {
  applyDeployment,
  deleteDeployment,
  deploymentStatus,
  resolveDeployVersion,
  rollbackDeployment,
  type DeploymentsContext,
} from '../../core/deployments/service.js';
import { kubernetesConfigured } from '../../core/config.js';
import { NotFoundError } from '../../core/errors.js';
import { checkServer } from '../../core/policy/check.js';
import { PolicyViolationError } from '../../core/policy/errors.js';
import { problems } from '../schemas/common.js';
import {
  applied,
  applyBody,
  byName,
  deleted,
  deploymentSummary,
  deploymentView,
  logsQuery,
  logsView,
  rolloutView,
} from '../schemas/deployments.js';
import { YAML_TYPES } from '../schemas/pipelines.js';

const isYaml = (contentType: string | undefined) => YAML_TYPES.some((t) => contentType?.startsWith(t));

/** Deployments: apply a spec (and a version to serve), read them, their rollouts and instance logs, roll back. */
export const deploymentRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal, config, policy } = app;
  const installation = { kubernetes: kubernetesConfigured(config.executor) };
  const ctx: DeploymentsContext = { db, temporal, taskQueue: config.temporal.taskQueue };
  // A raw YAML document becomes `{ spec: "<text>" }`, as for pipelines.
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, text, done) => done(null, { spec: text }));

  app.post(
    '/deployments',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['deployments'],
        summary: 'Create or update a deployment from its spec; with `version`, start a rollout to it',
        description:
          'Answers 202 with the rollout id when a rollout started, 200 when only the spec was saved or the version ' +
          'already serves (`noop` says which). A deployment busy with a rollout answers 409. A model server that asks ' +
          'for more than the step policy allows (executor, image, cpu, memory; a container server needs host ' +
          'networking) is refused with 400 of type policy-violation; a server on Kubernetes without a configured ' +
          'cluster with 400.',
        body: applyBody,
        response: { 200: applied, 202: applied, ...problems(400, 404, 409, 413, 503) },
      },
    },
    async (req, reply) => {
      const yaml = isYaml(req.headers['content-type']);
      const spec = parseDeploymentSpec(req.body.spec, yaml ? [] : ['spec']);
      const violations = checkServer(policy, spec.server, yaml ? '$.' : '$.spec.');
      if (violations.length) throw new PolicyViolationError(violations, "the deployment's model server");
      checkServerInstallation(spec, installation, yaml ? [] : ['spec']);
      const version =
        req.body.version === undefined
          ? undefined
          : await resolveDeployVersion(db, spec.model, req.body.version, '$.version');
      const { created, accepted } = await applyDeployment(ctx, spec, version, req.actor);
      return reply.code(accepted.rolloutId ? 202 : 200).send({
        name: spec.name,
        created,
        rolloutId: accepted.rolloutId,
        ...(accepted.noop ? { noop: accepted.noop } : {}),
      });
    },
  );

  app.get(
    '/deployments',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['deployments'],
        summary: 'List deployments, by name',
        response: { 200: z.object({ items: z.array(deploymentSummary) }), ...problems() },
      },
    },
    async () => ({
      items: (await listDeployments(db)).map((d) => ({
        name: d.name,
        model: d.spec.model,
        createdAt: d.createdAt,
        updatedAt: d.updatedAt,
      })),
    }),
  );

  app.get(
    '/deployments/:name',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['deployments'],
        summary: 'A deployment: its spec, what serves now and before, its routes and the rollout under way',
        params: byName,
        response: { 200: deploymentView, ...problems(400, 404) },
      },
    },
    async (req) => {
      const d = await getDeployment(db, req.params.name);
      if (!d) throw new NotFoundError('deployment', req.params.name);
      const [status, routes] = await Promise.all([deploymentStatus(ctx, d.name), getRoutes(db, d.name)]);
      const serving = (s: { version: number; instance: { url: string } } | null | undefined) =>
        s ? { version: s.version, url: s.instance.url } : null;
      return {
        name: d.name,
        model: d.spec.model,
        spec: d.spec as unknown as Record<string, unknown>,
        createdBy: d.createdBy,
        createdAt: d.createdAt,
        updatedAt: d.updatedAt,
        current: serving(status?.current),
        previous: serving(status?.previous),
        routes,
        active: status?.active ?? null,
        workflow: status ? ('running' as const) : ('unavailable' as const),
      };
    },
  );

  app.get(
    '/deployments/:name/rollouts',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['deployments'],
        summary: "A deployment's rollouts, newest first, with their outcome, reason and timeline",
        params: byName,
        response: { 200: z.object({ items: z.array(rolloutView) }), ...problems(400, 404) },
      },
    },
    async (req) => {
      if (!(await getDeployment(db, req.params.name))) throw new NotFoundError('deployment', req.params.name);
      return { items: await listRollouts(db, req.params.name) };
    },
  );

  app.post(
    '/deployments/:name/rollback',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['deployments'],
        summary: 'Roll back to the previous version, through the same health-gated rollout',
        params: byName,
        response: { 202: applied, ...problems(400, 404, 409, 503) },
      },
    },
    async (req, reply) => {
      const accepted = await rollbackDeployment(ctx, req.params.name, req.actor);
      return reply.code(202).send({ name: req.params.name, created: false, rolloutId: accepted.rolloutId });
    },
  );

  app.delete(
    '/deployments/:name',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['deployments'],
        summary: 'Delete a deployment: stop routing to it, stop its servers and its drift monitor',
        description:
          'Answers once every server of the deployment was asked to stop and its spec and routes are gone ' +
          '(predictions then answer 404). Its rollouts, gateway stats and drift results stay as history. ' +
          'A deployment busy with a rollout answers 409; wait for the rollout to end.',
        params: byName,
        response: { 200: deleted, ...problems(400, 404, 409, 503) },
      },
    },
    async (req) => {
      const retired = await deleteDeployment(ctx, req.params.name, req.actor);
      return { name: req.params.name, stopped: retired.stopped };
    },
  );

  app.get(
    '/deployments/:name/logs',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['deployments'],
        summary: "The last lines of each serving instance's log (every version on this machine, or one)",
        params: byName,
        querystring: logsQuery,
        response: { 200: logsView, ...problems(400, 404) },
      },
    },
    async (req) => {
      if (!(await getDeployment(db, req.params.name))) throw new NotFoundError('deployment', req.params.name);
      return { instances: await instanceLogs(config.dataDir, req.params.name, req.query) };
    },
  );
};
