import type { Db } from '../db/connect.js';
import type { ApiKeyRow, Role } from '../db/tables/access.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { findKeyBySecret, hashKey, roleRank, touchKey } from './keys.js';
import { scopeOf, type KeyScope } from './scope.js';

/** The API key a request came with, once verified. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
  /** null: an ordinary key; else the only things it may do (core/access/scope.ts). */
  scope: KeyScope | null;
}

/** Verified keys are cached briefly: a key look-up per request would cap read throughput. */
const CACHE_TTL_MS = 5_000;
const MAX_CACHED = 10_000;
/** A key's last-used time is written at most this often: a write per request would cap throughput. */
const TOUCH_EVERY_MS = 60_000;

/** Turns a presented secret into the principal it belongs to, refusing unknown, revoked and expired keys. */
export class KeyCheck {
  private readonly cache = new Map<string, { row: ApiKeyRow | undefined; at: number }>();
  private readonly touched = new Map<string, number>();

  constructor(private readonly db: Db) {}

  async principal(secret: string): Promise<Principal> {
    const row = await this.lookup(secret);
    if (!row) throw new UnauthorizedError('unknown API key');
    if (row.revoked_at) throw new UnauthorizedError(`API key ${row.id} was revoked`);
    if (row.expires_at && row.expires_at.getTime() <= Date.now())
      throw new UnauthorizedError(`API key ${row.id} expired`);
    await this.touch(row.id);
    return { keyId: row.id, name: row.name, role: row.role, scope: scopeOf(row.scope) };
  }

  private async touch(id: string): Promise<void> {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    if (this.touched.size > MAX_CACHED) this.touched.clear();
    this.touched.set(id, now);
    // Usage bookkeeping: a failed write must not refuse an otherwise valid key.
    await touchKey(this.db, id, new Date(now)).catch(() => undefined);
  }

  /** Forget cached look-ups (after a revocation). */
  forget(): void {
    this.cache.clear();
  }

  private async lookup(secret: string): Promise<ApiKeyRow | undefined> {
    const h = hashKey(secret);
    const hit = this.cache.get(h);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.row;
    const row = await findKeyBySecret(this.db, secret);
    if (this.cache.size > MAX_CACHED) this.cache.clear();
    this.cache.set(h, { row, at: Date.now() });
    return row;
  }
}

/** Throws unless `p`'s role is at least `required`. */
export function requireRole(p: Principal, required: Role): void {
  if (roleRank(p.role) < roleRank(required)) {
    throw new ForbiddenError(`this needs the ${required} role; key ${p.keyId} has ${p.role}`);
  }
}
