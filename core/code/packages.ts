/** Stored code packages: a tar in the artifact store, recorded by digest so pipeline versions can name it. */
import * as tar from 'tar';
import type { ArtifactStore } from '../artifacts/store.js';
import { audited, type Actor } from '../access/audit.js';
import type { Db } from '../db/connect.js';
import { ValidationError } from '../errors.js';

export interface CodePackageView {
  digest: string;
  size: number;
  files: number;
  createdBy: string | null;
  createdAt: string;
}

export interface StoredCodePackage extends CodePackageView {
  /** False when a package with this digest was already stored. */
  created: boolean;
}

type Row = { digest: string; size: number; files: number; created_by: string | null; created_at: Date };
const toView = (r: Row): CodePackageView => ({
  digest: r.digest,
  size: Number(r.size),
  files: r.files,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
});

/**
 * Counts the files of a packed tar, refusing what a packer never writes (links, devices,
 * absolute or `..` paths), so a worker only ever unpacks plain files and directories.
 */
async function checkTar(file: string): Promise<number> {
  let files = 0;
  const bad: string[] = [];
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (e) => {
        const parts = e.path.split('/');
        if (e.path.startsWith('/') || parts.includes('..')) bad.push(`${e.path}: path leaves the package`);
        else if (e.type === 'File' || e.type === 'OldFile') files += 1;
        else if (e.type !== 'Directory') bad.push(`${e.path}: ${e.type} entries are not allowed`);
        e.resume();
      },
    });
  } catch (err) {
    throw new ValidationError('the body is not a tar archive', [{ path: 'body', message: (err as Error).message }]);
  }
  if (bad.length > 0)
    throw new ValidationError(`the code package has entries a package may not hold: ${bad.slice(0, 3).join('; ')}`, [
      { path: 'body', message: bad[0]! },
    ]);
  return files;
}

/** Stores the tar at `file` (already spooled to disk) and records it; storing the same bytes again is a no-op. */
export async function storeCodePackage(
  deps: { db: Db; artifacts: ArtifactStore },
  by: Actor,
  file: string,
): Promise<StoredCodePackage> {
  const files = await checkTar(file);
  const ref = await deps.artifacts.putPath(file);
  const digest = `sha256:${ref.sha256}`;
  return audited(deps.db, by, async (uow) => {
    const inserted = await uow.trx
      .insertInto('code_packages')
      .values({ digest, uri: ref.uri, size: ref.size, files, created_by: by.actor })
      .onConflict((oc) => oc.column('digest').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) await uow.audit('code.upload', 'code-package', digest, { size: ref.size, files });
    const row = inserted ?? (await findCodePackage(uow.trx, digest))!;
    return { ...toView(row), created: inserted !== undefined };
  });
}

export async function findCodePackage(db: Db, digest: string) {
  return db.selectFrom('code_packages').selectAll().where('digest', '=', digest).executeTakeFirst();
}

export async function getCodePackageView(db: Db, digest: string): Promise<CodePackageView | undefined> {
  const row = await findCodePackage(db, digest);
  return row && toView(row);
}
