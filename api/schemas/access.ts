import { z } from 'zod';
import { roleSchema } from '../../core/access/views.js';
import { pageLimit, timeQuery } from './common.js';

export {
  auditEventSchema as auditEvent,
  issuedKeySchema as issuedKey,
  keyInfoSchema as keyInfo,
  roleSchema as role,
} from '../../core/access/views.js';

export const issueKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: roleSchema,
  expiresAt: z.iso.datetime({ offset: true }).optional().describe('When the key stops working (default: never)'),
});

export const eventQuery = z.strictObject({
  actor: z.string().optional(),
  action: z.string().optional(),
  resourceType: z.string().optional(),
  resourceId: z.string().optional(),
  since: timeQuery.optional(),
  until: timeQuery.optional(),
  cursor: z.string().optional(),
  limit: pageLimit,
});
