import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { JsonWithDefault, NullableTimestamp, Serial, Timestamp } from './common.js';

export type Role = 'viewer' | 'operator' | 'admin';

export interface ApiKeysTable {
  id: string;
  name: string;
  role: Role;
  key_hash: string;
  created_by: string | null;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  /** The first characters of the secret, safe to show (null for keys issued before they were kept). */
  prefix: string | null;
  last_used_at: NullableTimestamp;
  /** null: the role decides; else what the key is limited to (core/access/scope.ts). */
  scope: ColumnType<unknown, string | null | undefined, string | null>;
}
export interface EventsTable {
  id: Serial;
  at: Timestamp;
  actor: string;
  action: string;
  resource_type: string;
  resource_id: string;
  request_id: string | null;
  details: JsonWithDefault;
}
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKey = Insertable<ApiKeysTable>;
export type EventRow = Selectable<EventsTable>;
export type NewEvent = Insertable<EventsTable>;
