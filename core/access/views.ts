import { z } from 'zod';
import { isoTime, nullableTime } from '../util/time-schema.js';
import { ROLES } from './keys.js';
import { keyScopeSchema } from './scope.js';

export const roleSchema = z.enum(ROLES);

/** An API key as listed: never its secret, nor the hash of it. */
export const keyInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: roleSchema,
  prefix: z.string().nullable().describe('The first characters of the secret, to tell keys apart'),
  createdBy: z.string().nullable(),
  createdAt: isoTime,
  expiresAt: nullableTime,
  revokedAt: nullableTime,
  lastUsedAt: nullableTime.describe('Last authentication with the key (refreshed at most once a minute)'),
  scope: keyScopeSchema.nullable().describe('null: the role decides; else all the key may do'),
});
export type KeyInfo = z.infer<typeof keyInfoSchema>;

/** A freshly issued key: the only time its secret is shown. */
export const issuedKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  role: roleSchema,
  prefix: z.string(),
  key: z.string().describe('The secret: store it now'),
  expiresAt: nullableTime,
  scope: keyScopeSchema.nullable(),
});
export type IssuedKeyView = z.infer<typeof issuedKeySchema>;

/** One entry of the audit trail. */
export const auditEventSchema = z.object({
  id: z.string(),
  at: isoTime,
  actor: z.string().describe('Name of the API key that made the change'),
  action: z.string().describe('e.g. run.start, pipeline.update, key.revoke'),
  resourceType: z.string(),
  resourceId: z.string(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEventView = z.infer<typeof auditEventSchema>;
