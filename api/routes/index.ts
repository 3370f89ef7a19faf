import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { MAX_UPLOAD_BYTES } from '../lib/uploads.js';
import { writeRateLimit } from '../plugins/rate-limit.js';
import { codePackageRoutes } from './code-packages.js';
import { approvalRoutes } from './approvals.js';
import { datasetRoutes } from './datasets.js';
import { deploymentRoutes } from './deployments.js';
import { driftRoutes } from './drift.js';
import { eventRoutes } from './events.js';
import { keyRoutes } from './keys.js';
import { lineageRoutes } from './lineage.js';
import { modelAliasRoutes } from './model-aliases.js';
import { modelVersionRoutes } from './model-versions.js';
import { modelRoutes } from './models.js';
import { pipelineRoutes } from './pipelines.js';
import { predictRoutes } from './predict.js';
import { runLogRoutes } from './run-logs.js';
import { runRoutes } from './runs.js';
import { scheduleRoutes } from './schedules.js';

/**
 * Everything under /v1: pipelines, runs (+ logs), schedules, events and keys, then the model
 * registry, datasets and lineage. One per-key write limit covers all of it.
 */
export async function v1Routes(app: FastifyInstance): Promise<void> {
  await app.register(writeRateLimit);
  await app.register(pipelineRoutes);
  await app.register(codePackageRoutes);
  await app.register(runRoutes);
  await app.register(runLogRoutes);
  await app.register(approvalRoutes);
  await app.register(scheduleRoutes);
  await app.register(eventRoutes);
  await app.register(keyRoutes);
  await app.register(deploymentRoutes);
  await app.register(predictRoutes);
  await app.register(driftRoutes);
  // Multipart parsing only where uploads are accepted: they stream into the artifact store.
  await app.register(async (registry) => {
    await registry.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES } });
    await registry.register(modelRoutes);
    await registry.register(modelVersionRoutes);
    await registry.register(modelAliasRoutes);
    await registry.register(datasetRoutes);
    await registry.register(lineageRoutes);
  });
}
