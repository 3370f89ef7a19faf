import type { Db } from '../db/connect.js';
import { listEvents, type EventFilter } from './events.js';
import type { AuditEventView } from './views.js';

/** A page of the audit trail, newest first; `next` is the id to continue below when the page is full. */
export async function listAuditTrail(db: Db, f: EventFilter): Promise<{ items: AuditEventView[]; next?: number }> {
  const rows = await listEvents(db, f);
  const items = rows.map((e) => ({
    id: String(e.id),
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    resourceType: e.resource_type,
    resourceId: e.resource_id,
    requestId: e.request_id,
    details: e.details as Record<string, unknown>,
  }));
  return rows.length === f.limit ? { items, next: Number(rows.at(-1)!.id) } : { items };
}
