import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/connect.js';
import type { ApiKeyRow, Role } from '../db/tables/access.js';
import type { KeyScope } from './scope.js';

export const ROLES = ['viewer', 'operator', 'admin'] as const satisfies readonly Role[];
export const roleRank = (r: Role): number => ROLES.indexOf(r);

/** Keys are 256-bit random secrets, so a plain sha256 is a safe, fast lookup hash. */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * How much of a secret listings show: `slk_` and 8 characters (48 of its 256 random bits), enough
 * to tell keys apart and far too little to guess the rest.
 */
export const KEY_PREFIX_LENGTH = 12;

export interface IssuedKey {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  /** The secret: shown once, never stored. */
  key: string;
  expiresAt: Date | null;
  scope: KeyScope | null;
}

export async function issueKey(
  db: Db,
  k: { name: string; role: Role; createdBy?: string; expiresAt?: Date | null; scope?: KeyScope | null },
): Promise<IssuedKey> {
  const id = `key_${randomBytes(6).toString('hex')}`;
  const key = `slk_${randomBytes(32).toString('base64url')}`;
  await db
    .insertInto('api_keys')
    .values({
      id,
      name: k.name,
      role: k.role,
      key_hash: hashKey(key),
      prefix: key.slice(0, KEY_PREFIX_LENGTH),
      created_by: k.createdBy ?? null,
      expires_at: k.expiresAt ?? null,
      scope: k.scope ? JSON.stringify(k.scope) : null,
    })
    .execute();
  return {
    id,
    name: k.name,
    role: k.role,
    prefix: key.slice(0, KEY_PREFIX_LENGTH),
    key,
    expiresAt: k.expiresAt ?? null,
    scope: k.scope ?? null,
  };
}

export async function findKeyBySecret(db: Db, secret: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', hashKey(secret)).executeTakeFirst();
}

const LISTED = [
  'id',
  'name',
  'role',
  'prefix',
  'created_by',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
  'scope',
] as const;
export type ListedKey = Omit<ApiKeyRow, 'key_hash'>;

export async function listKeys(db: Db): Promise<ListedKey[]> {
  return db.selectFrom('api_keys').select(LISTED).orderBy('created_at').execute();
}

export async function findKey(db: Db, id: string): Promise<ListedKey | undefined> {
  return db.selectFrom('api_keys').select(LISTED).where('id', '=', id).executeTakeFirst();
}

/** Returns false when no such key exists; revoking twice keeps the first revocation time. */
export async function revokeKey(db: Db, id: string): Promise<boolean> {
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) > 0) return true;
  return (await db.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/**
 * Ids of the admin keys that are active and never expire, locked until the transaction ends: two
 * revocations at once then see each other's result instead of both leaving the other one last.
 */
export async function lastingAdminKeys(trx: Db): Promise<string[]> {
  const rows = await trx
    .selectFrom('api_keys')
    .select('id')
    .where('role', '=', 'admin')
    .where('revoked_at', 'is', null)
    .where('expires_at', 'is', null)
    .forUpdate()
    .execute();
  return rows.map((r) => r.id);
}

export async function touchKey(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}

export async function countKeys(db: Db): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
