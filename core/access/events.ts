import type { Db } from '../db/connect.js';

export interface AuditEvent {
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string;
  requestId?: string;
  details?: Record<string, unknown>;
}

/** Appends to the audit trail (the table refuses updates and deletes). */
export async function appendEvent(db: Db, e: AuditEvent): Promise<void> {
  await db
    .insertInto('events')
    .values({
      actor: e.actor,
      action: e.action,
      resource_type: e.resourceType,
      resource_id: e.resourceId,
      request_id: e.requestId ?? null,
      details: JSON.stringify(e.details ?? {}),
    })
    .execute();
}

export interface EventFilter {
  actor?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  since?: Date;
  until?: Date;
  /** Events with id below this (cursor pagination, newest first). */
  before?: number;
  limit: number;
}

export async function listEvents(db: Db, f: EventFilter) {
  let q = db.selectFrom('events').selectAll();
  if (f.actor) q = q.where('actor', '=', f.actor);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.resourceType) q = q.where('resource_type', '=', f.resourceType);
  if (f.resourceId) q = q.where('resource_id', '=', f.resourceId);
  if (f.since) q = q.where('at', '>=', f.since);
  if (f.until) q = q.where('at', '<', f.until);
  if (f.before !== undefined) q = q.where('id', '<', String(f.before));
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}
