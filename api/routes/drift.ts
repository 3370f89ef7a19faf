import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { DriftResultRow } from '../../core/db/tables/drift.js';
import { DATASET_ROW, knownDeployment, latestCheck, recentRetrains, resultSeries } from '../../core/drift/results.js';
import { NotFoundError } from '../../core/errors.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { problems } from '../schemas/common.js';
import { driftParams, driftQuery, driftView, type DriftView } from '../schemas/drift.js';

const RETRAINS_SHOWN = 10;

function point(r: DriftResultRow) {
  return {
    feature: r.feature,
    method: r.method as DriftView['series']['items'][number]['method'],
    statistic: r.statistic,
    pValue: r.p_value,
    threshold: r.threshold,
    drifted: r.drifted,
    n: r.n,
  };
}

function latestOf(rows: DriftResultRow[]): DriftView['latest'] {
  const dataset = rows.find((r) => r.feature === DATASET_ROW);
  if (!dataset) return null;
  return {
    checkId: dataset.check_id,
    at: dataset.at.toISOString(),
    model: dataset.model,
    version: dataset.version,
    reference: dataset.reference,
    datasetDrift: dataset.drifted,
    share: dataset.statistic ?? 0,
    driftShare: dataset.threshold,
    rows: dataset.n,
    features: rows.filter((r) => r.feature !== DATASET_ROW).map(point),
  };
}

/** A deployment's drift: the latest verdict per feature, the retrains drift started, and the time series. */
export const driftRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/deployments/:name/drift',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['deployments'],
        summary: "A deployment's drift: latest verdict per feature, drift retrains, and results newest first",
        params: driftParams,
        querystring: driftQuery,
        response: { 200: driftView, ...problems(400, 404) },
      },
    },
    async (req) => {
      const { name } = req.params;
      const { cursor, limit, feature, since } = req.query;
      const beforeId = cursor ? decodeCursor(cursor, (v): v is number => Number.isSafeInteger(v)) : undefined;
      const [latest, retrains, series] = await Promise.all([
        latestCheck(app.db, name),
        recentRetrains(app.db, name, RETRAINS_SHOWN),
        resultSeries(app.db, name, {
          limit: limit + 1,
          ...(feature !== undefined ? { feature } : {}),
          ...(since ? { since: new Date(since) } : {}),
          ...(beforeId !== undefined ? { beforeId } : {}),
        }),
      ]);
      if (!latest.length && !series.length && !(await knownDeployment(app.db, name))) {
        throw new NotFoundError('deployment', name);
      }
      const page = series.slice(0, limit);
      return {
        deployment: name,
        latest: latestOf(latest),
        retrains: retrains.map((r) => ({
          runId: r.run_id,
          pipeline: r.pipeline,
          at: r.at.toISOString(),
          checkId: r.check_id,
        })),
        series: {
          items: page.map((r) => ({ ...point(r), at: r.at.toISOString(), checkId: r.check_id, version: r.version })),
          nextCursor: series.length > limit ? encodeCursor(Number(page[page.length - 1]!.id)) : null,
        },
      };
    },
  );
};
