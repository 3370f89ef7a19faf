import { mkdir } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import type { Config } from '../config.js';
import { dbTarget, openDb } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { acquireDataDirLock } from '../util/data-dir-lock.js';
import { issueApiKey, type KeyRequest } from './api-keys.js';
import type { IssuedKeyView } from './views.js';

/** Who runs a local command, as the audit trail names them: `local:<os user>@<host>`. */
export function localActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (e.g. an arbitrary uid in a container).
    user = process.env.USER ?? `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return `local:${user}@${hostname()}`;
}

/**
 * Issues a key straight into the metadata database, not through the API: the way back in when no
 * admin key is left, and the first admin key of a split deployment (only the embedded stack creates
 * one itself). Whoever can reach the database can do this anyway; the key is audited as theirs.
 * PGlite has one writer, so with the embedded database the data dir's lock is taken first: a
 * running stack makes this fail rather than open its database twice.
 */
export async function issueLocalKey(
  config: Pick<Config, 'databaseUrl' | 'databaseSchema' | 'dataDir' | 'logLevel'>,
  k: KeyRequest,
  actor = localActor(),
): Promise<IssuedKeyView> {
  let release: (() => Promise<void>) | undefined;
  if (!config.databaseUrl) {
    await mkdir(config.dataDir, { recursive: true });
    release = await acquireDataDirLock(config.dataDir);
  }
  try {
    const db = await openDb(dbTarget(config));
    try {
      await migrateToLatest(db);
      return await issueApiKey(db, { actor }, k);
    } finally {
      await db.destroy();
    }
  } finally {
    await release?.();
  }
}
