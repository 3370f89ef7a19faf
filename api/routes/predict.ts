import type { FastifyReply, FastifyRequest, FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { serializerCompiler, validatorCompiler, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';
import { STATUS_CODES } from 'node:http';
import { requireDeploymentInScope } from '../../core/access/scope.js';
import { GatewayError } from '../../core/gateway/errors.js';
import { problems } from '../schemas/common.js';
import {
  accuracyQuery,
  accuracyResponse,
  DEPLOYMENT_NAME,
  deploymentParams,
  feedbackBody,
  feedbackResponse,
  isPredictBody,
  predictBody,
  predictResponse,
} from '../schemas/predict.js';
import type { Prediction } from '../../core/gateway/gateway.js';

const GATEWAY_PROBLEMS: Record<number, string> = {
  400: 'Invalid request, or the model server refused the rows as invalid (its answer is quoted in `detail`)',
  422: 'The model server refused the rows (its answer is quoted in `detail`)',
  502: 'The model server cannot be reached, timed out, failed (5xx) or did not answer predictions',
  503: 'Nothing serves the deployment right now',
};

/** The documented error responses of the gateway's routes, with what each status means here. */
export function gatewayProblems(...codes: number[]): ReturnType<typeof problems> {
  const p = problems(...codes);
  for (const c of codes) if (GATEWAY_PROBLEMS[c] && p[c]) p[c] = { ...p[c], description: GATEWAY_PROBLEMS[c] };
  return p;
}

/**
 * The serving side's honest failures (502/503) and the model server's refusals (400/422) are
 * expected outcomes: a warning without a stack trace, then the problem. Never the upstream body.
 */
export function sendGatewayProblem(req: FastifyRequest, reply: FastifyReply, err: GatewayError): FastifyReply {
  if (err.status >= 500) req.log.warn({ type: err.type, detail: err.message }, 'prediction not served');
  return reply
    .code(err.status)
    .type('application/problem+json')
    .send({
      type: `https://sluice.dev/problems/${err.type}`,
      title: STATUS_CODES[err.status] ?? 'Error',
      status: err.status,
      detail: err.message,
      instance: req.url,
      requestId: String(req.id),
      ...(err.issues.length ? { errors: err.issues } : {}),
    });
}

/**
 * The data plane's validation: a request zod would accept unchanged passes a plain check and is
 * used as parsed; anything else goes to zod, whose errors (and 400s) stay as they are.
 */
const predictValidator: FastifySchemaCompiler<unknown> = (route) => {
  const zod = validatorCompiler(route as FastifyRouteSchemaDef<ZodType>);
  if (route.httpPart === 'body') return (data) => (isPredictBody(data) ? { value: data } : zod(data));
  if (route.httpPart === 'params')
    return (data) => {
      const name = (data as { name?: unknown }).name;
      const only = Object.keys(data as object).length === 1;
      return only && typeof name === 'string' && DEPLOYMENT_NAME.test(name) ? { value: data } : zod(data);
    };
  return zod;
};

/**
 * The 200 answer is built by the gateway from the route table (model, version) and the model
 * server's parsed JSON (predictions), so it always fits `predictResponse`: it is written with
 * JSON.stringify instead of re-validated by zod on every request. Problem answers keep zod.
 */
const predictSerializer: FastifySerializerCompiler<unknown> = (route) =>
  route.httpStatus === '200'
    ? (p: Prediction) =>
        JSON.stringify({ predictions: p.predictions, model: p.model, version: p.version, requestId: p.requestId })
    : serializerCompiler(route as Parameters<typeof serializerCompiler>[0]);

/** POST /v1/deployments/{name}/predict: the inference gateway (core/gateway). */
export const predictRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/deployments/:name/predict',
    {
      // Any key may predict, including keys scoped to this deployment; predictions are the data
      // plane, so the per-key write limit (meant for starting workflows) does not apply.
      config: { role: 'viewer', scoped: 'predict', rateLimit: false },
      schema: {
        tags: ['deployments'],
        summary: 'Predict: forward rows to the model server serving the deployment',
        description:
          'Picks a model server by the traffic split, forwards `{"rows": …}` to its `POST /predict` over a ' +
          'kept-alive pool and answers its predictions with the model version that served them (also in the ' +
          '`sluice-model-version` header). Keys scoped with `{"predict": [names]}` may call it for those names.',
        params: deploymentParams,
        body: predictBody,
        response: { 200: predictResponse, ...gatewayProblems(400, 404, 413, 422, 502, 503) },
      },
      validatorCompiler: predictValidator,
      serializerCompiler: predictSerializer,
    },
    async (req, reply) => {
      const { name } = req.params;
      requireDeploymentInScope(req.principal!.keyId, req.principal!.scope, name);
      try {
        const p = await app.gateway.predict(name, req.body.rows, String(req.id));
        reply.header('sluice-model-version', String(p.version));
        return p;
      } catch (err) {
        if (err instanceof GatewayError) return sendGatewayProblem(req, reply, err);
        throw err;
      }
    },
  );

  app.post(
    '/deployments/:name/feedback',
    {
      config: { role: 'viewer', scoped: 'predict', rateLimit: false },
      schema: {
        tags: ['deployments'],
        summary: "Feedback: the true label(s) of a prediction, scored into the serving version's live accuracy",
        description:
          '`label` for a one-row request, or `labels` (one per row). Recent predictions of the API process ' +
          'that served them and sampled ones (SLUICE_GATEWAY_SAMPLE_RATE) can be scored, each once.',
        params: deploymentParams,
        body: feedbackBody,
        response: { 200: feedbackResponse, ...problems(400, 404, 409, 413) },
      },
    },
    async (req) => {
      const { name } = req.params;
      requireDeploymentInScope(req.principal!.keyId, req.principal!.scope, name);
      const { requestId, label, labels } = req.body;
      return app.gatewayFeedback.score(name, requestId, { label, labels });
    },
  );

  app.get(
    '/deployments/:name/accuracy',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['deployments'],
        summary: 'Live accuracy per model version, from feedback',
        params: deploymentParams,
        querystring: accuracyQuery,
        response: { 200: accuracyResponse },
      },
    },
    async (req) => {
      const since = req.query.since ? new Date(req.query.since) : undefined;
      return {
        deployment: req.params.name,
        since: since?.toISOString() ?? null,
        versions: await app.gatewayFeedback.accuracy(req.params.name, since),
      };
    },
  );
};
