import type { Db } from '../db/connect.js';
import { appendEvent } from '../access/events.js';

/** Who is changing the registry. Registry writes append their audit event in the same transaction. */
export interface Actor {
  actor: string;
  requestId?: string;
}

export async function audit(
  trx: Db, by: Actor, action: string, resourceType: string, resourceId: string, details: Record<string, unknown> = {},
): Promise<void> {
  await appendEvent(trx, { actor: by.actor, requestId: by.requestId, action, resourceType, resourceId, details });
}
