import { z } from 'zod';
import { DEPLOYMENT_NAME, DEPLOYMENT_NAME_HINT } from '../../core/deployments/spec.js';
import { plainText } from './common.js';

export const deploymentName = z.string().max(63).regex(DEPLOYMENT_NAME, DEPLOYMENT_NAME_HINT);
export const byName = z.strictObject({ name: deploymentName });

export const applyBody = z.strictObject({
  spec: z
    .union([z.string().max(200_000), z.record(z.string(), z.unknown())])
    .describe('The deployment spec as an object or as YAML/JSON text (a raw YAML body works too).'),
  version: z
    .union([z.number().int().min(1).max(999_999_999), plainText(300).min(1)])
    .optional()
    .describe('The version to serve: a number, `@alias`, or `models:/<model>@<alias>`; none only saves the spec'),
});

const route = z.object({ model: z.string(), version: z.number().int(), url: z.string(), weight: z.number().int() });

export const rolloutView = z.object({
  id: z.string(),
  deployment: z.string(),
  kind: z.enum(['deploy', 'rollback']),
  model: z.string(),
  fromVersion: z.number().int().nullable(),
  toVersion: z.number().int(),
  status: z.enum(['running', 'succeeded', 'rolled-back', 'failed']),
  reason: z.string().nullable().describe('Why it rolled back or failed'),
  requestedBy: z.string().nullable(),
  timeline: z.array(z.object({ at: z.string(), step: z.string(), detail: z.string().optional() })),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export const applied = z.object({
  name: z.string(),
  created: z.boolean(),
  rolloutId: z.string().nullable().describe('The rollout started; follow it at GET /v1/deployments/{name}/rollouts'),
  noop: z.string().optional().describe('Why no rollout started'),
});

export const deleted = z.object({
  name: z.string(),
  stopped: z.array(z.number().int()).describe('The model versions whose servers were stopped'),
});

const serving = z.object({ version: z.number().int(), url: z.string() }).nullable();

export const deploymentView = z.object({
  name: z.string(),
  model: z.string(),
  spec: z.record(z.string(), z.unknown()),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  current: serving,
  previous: serving,
  routes: z.array(route),
  active: z
    .object({
      id: z.string(),
      kind: z.enum(['deploy', 'rollback']),
      toVersion: z.number().int(),
      fromVersion: z.number().int().nullable(),
      phase: z.string(),
    })
    .nullable(),
  workflow: z.enum(['running', 'unavailable']).describe('unavailable: no worker answered the status query'),
});

export const deploymentSummary = deploymentView.pick({ name: true, model: true, createdAt: true, updatedAt: true });

export const logsQuery = z.strictObject({
  version: z.coerce.number().int().min(1).max(999_999_999).optional(),
  tail: z.coerce.number().int().min(1).max(5000).default(200),
});

export const logsView = z.object({
  instances: z.array(z.object({ version: z.number().int(), lines: z.array(z.string()) })),
});
