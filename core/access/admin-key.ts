import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../db/connect.js';
import { countKeys, issueKey } from './keys.js';
import { appendEvent } from './events.js';

export const ADMIN_KEY_FILE = 'admin.key';

/**
 * On first start (no keys yet) issues an admin key and writes it to `<dataDir>/admin.key`,
 * readable by its owner only; the CLI reads it from there by default. Returns the file path.
 */
export async function ensureAdminKey(db: Db, dataDir: string): Promise<{ path: string; created: boolean }> {
  const path = join(dataDir, ADMIN_KEY_FILE);
  if ((await countKeys(db)) > 0) return { path, created: false };
  const key = await issueKey(db, { name: 'admin (first start)', role: 'admin', createdBy: 'sluice' });
  await writeFile(path, `${key.key}\n`, { mode: 0o600 });
  await appendEvent(db, { actor: 'sluice', action: 'key.issue', resourceType: 'api_key', resourceId: key.id, details: { role: 'admin', bootstrap: true } });
  return { path, created: true };
}
