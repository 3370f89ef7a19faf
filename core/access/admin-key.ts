import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../db/connect.js';
import { issueKeyIn } from './api-keys.js';
import { audited } from './audit.js';
import { countKeys } from './keys.js';

export const ADMIN_KEY_FILE = 'admin.key';

/**
 * On first start (no keys yet) issues an admin key and writes it to `<dataDir>/admin.key`,
 * readable by its owner only; the CLI reads it from there by default. Returns the file path.
 * The file is written before the key commits: a failed write leaves no key behind, so the
 * next start tries again instead of finding a key nobody holds.
 */
export async function ensureAdminKey(db: Db, dataDir: string): Promise<{ path: string; created: boolean }> {
  const path = join(dataDir, ADMIN_KEY_FILE);
  const created = await audited(db, { actor: 'sluice' }, async (uow) => {
    if ((await countKeys(uow.trx)) > 0) return false;
    const key = await issueKeyIn(uow, { name: 'admin (first start)', role: 'admin' }, { bootstrap: true });
    await writeFile(path, `${key.key}\n`, { mode: 0o600 });
    return true;
  });
  return { path, created };
}
