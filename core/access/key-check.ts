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

interface Cached {
  row: ApiKeyRow | undefined;
  at: number;
  /** The row as a principal, made once per look-up (its scope parsed once, not per request). */
  principal?: Readonly<Principal>;
}

/** Turns a presented secret into the principal it belongs to, refusing unknown, revoked and expired keys. */
export class KeyCheck {
  private readonly cache = new Map<string, Cached>();
  private readonly touched = new Map<string, number>();

  constructor(private readonly db: Db) {}

  /**
   * The principal of a key verified less than CACHE_TTL_MS ago, unexpired and touched recently,
   * without waiting: what nearly every request finds. undefined: ask `principal()`.
   * One SHA-256 of the secret; the secret itself is never compared or kept.
   */
  cached(secret: string): Readonly<Principal> | undefined {
    const hit = this.cache.get(hashKey(secret));
    if (!hit?.principal) return undefined;
    const now = Date.now();
    const row = hit.row!;
    if (now - hit.at >= CACHE_TTL_MS || (row.expires_at && row.expires_at.getTime() <= now)) return undefined;
    if (now - (this.touched.get(row.id) ?? 0) >= TOUCH_EVERY_MS) return undefined;
    return hit.principal;
  }

  async principal(secret: string): Promise<Readonly<Principal>> {
    const entry = await this.lookup(secret);
    const row = entry.row;
    if (!row) throw new UnauthorizedError('unknown API key');
    if (row.revoked_at) throw new UnauthorizedError(`API key ${row.id} was revoked`);
    if (row.expires_at && row.expires_at.getTime() <= Date.now())
      throw new UnauthorizedError(`API key ${row.id} expired`);
    await this.touch(row.id);
    entry.principal ??= Object.freeze({ keyId: row.id, name: row.name, role: row.role, scope: scopeOf(row.scope) });
    return entry.principal;
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

  private async lookup(secret: string): Promise<Cached> {
    const h = hashKey(secret);
    const hit = this.cache.get(h);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit;
    const row = await findKeyBySecret(this.db, secret);
    if (this.cache.size > MAX_CACHED) this.cache.clear();
    const entry: Cached = { row, at: Date.now() };
    this.cache.set(h, entry);
    return entry;
  }
}

/** Throws unless `p`'s role is at least `required`. */
export function requireRole(p: Principal, required: Role): void {
  if (roleRank(p.role) < roleRank(required)) {
    throw new ForbiddenError(`this needs the ${required} role; key ${p.keyId} has ${p.role}`);
  }
}
