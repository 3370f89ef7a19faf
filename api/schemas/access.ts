import { z } from 'zod';
import { keyScopeSchema } from '../../core/access/scope.js';
import { roleSchema } from '../../core/access/views.js';
import { NO_CONTROL, NO_CONTROL_HINT } from '../../core/util/text.js';
import { cursorQuery, pageLimit, plainText, timeQuery } from './common.js';

export {
  auditEventSchema as auditEvent,
  issuedKeySchema as issuedKey,
  keyInfoSchema as keyInfo,
  roleSchema as role,
} from '../../core/access/views.js';

export const issueKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100).regex(NO_CONTROL, NO_CONTROL_HINT),
  role: roleSchema,
  expiresAt: z.iso.datetime({ offset: true }).optional().describe('When the key stops working (default: never)'),
  scope: keyScopeSchema
    .optional()
    .describe('Limit the key to predicting (and sending feedback) on these deployments; needs role viewer'),
});

export const eventQuery = z.strictObject({
  actor: plainText(200).optional(),
  action: plainText(100).optional(),
  resourceType: plainText(100).optional(),
  resourceId: plainText(400).optional(),
  since: timeQuery.optional(),
  until: timeQuery.optional(),
  cursor: cursorQuery.optional(),
  limit: pageLimit,
});
