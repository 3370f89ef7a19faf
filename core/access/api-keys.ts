import type { Role } from '../db/tables/access.js';
import type { Db } from '../db/connect.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { audited, type Actor, type UnitOfWork } from './audit.js';
import { findKey, issueKey, lastingAdminKeys, listKeys, revokeKey, type IssuedKey, type ListedKey } from './keys.js';
import { scopeOf, type KeyScope } from './scope.js';
import type { IssuedKeyView, KeyInfo } from './views.js';

export interface KeyRequest {
  name: string;
  role: Role;
  expiresAt?: Date | null;
  /** Limits the key to predicting on named deployments (it must then have the viewer role). */
  scope?: KeyScope | null;
}

const toInfo = (k: ListedKey): KeyInfo => ({
  id: k.id,
  name: k.name,
  role: k.role,
  prefix: k.prefix,
  createdBy: k.created_by,
  createdAt: k.created_at.toISOString(),
  expiresAt: k.expires_at?.toISOString() ?? null,
  revokedAt: k.revoked_at?.toISOString() ?? null,
  lastUsedAt: k.last_used_at?.toISOString() ?? null,
  scope: scopeOf(k.scope),
});

/** Issues a key inside `uow` and records it there: the key and its audit event commit together. */
export async function issueKeyIn(
  uow: UnitOfWork,
  k: KeyRequest,
  details: Record<string, unknown> = {},
): Promise<IssuedKey> {
  const key = await issueKey(uow.trx, { ...k, createdBy: uow.by.actor });
  await uow.audit('key.issue', 'api_key', key.id, {
    name: key.name,
    role: key.role,
    ...(key.scope ? { scope: key.scope } : {}),
    ...details,
  });
  return key;
}

/** An API key for `by` to hand out; the secret is in the result only (the database keeps its hash). */
export async function issueApiKey(db: Db, by: Actor, k: KeyRequest): Promise<IssuedKeyView> {
  if (k.expiresAt && k.expiresAt.getTime() <= Date.now()) {
    throw new ValidationError('invalid key', [{ path: '$.expiresAt', message: 'must be in the future' }]);
  }
  if (k.scope && k.role !== 'viewer') {
    throw new ValidationError('invalid key', [
      { path: '$.role', message: 'a scoped key has the viewer role (its scope, not its role, says what it may do)' },
    ]);
  }
  const key = await audited(db, by, (uow) => issueKeyIn(uow, k));
  return { ...key, expiresAt: key.expiresAt?.toISOString() ?? null };
}

export async function listApiKeys(db: Db): Promise<KeyInfo[]> {
  return (await listKeys(db)).map(toInfo);
}

/**
 * Revokes a key (revoking twice keeps the first time) and records it, in one transaction. The last
 * admin key that is active and never expires cannot be revoked: without it the installation would
 * lose its administration for good once every other admin key expired or was revoked. So expiry
 * cannot lock anyone out either, since some admin key always outlives every expiring one.
 */
export async function revokeApiKey(db: Db, by: Actor, id: string): Promise<KeyInfo> {
  return audited(db, by, async (uow) => {
    const lasting = await lastingAdminKeys(uow.trx);
    if (lasting.length === 1 && lasting[0] === id) {
      throw new ConflictError(
        `API key ${id} is the last active admin key that does not expire; revoking it would lock every ` +
          'administrator out. Issue another admin key first (POST /v1/keys, or `sluice admin issue-key --role admin` ' +
          'where the database is reachable), then revoke this one.',
      );
    }
    if (!(await revokeKey(uow.trx, id))) throw new NotFoundError('API key', id);
    await uow.audit('key.revoke', 'api_key', id);
    return toInfo((await findKey(uow.trx, id))!);
  });
}
