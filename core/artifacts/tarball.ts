import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar';

/** Every archive entry gets this mtime, so a digest depends on content, names and modes only. */
const FIXED_MTIME = new Date(0);

/** Relative paths of everything under `dir` (dirs before their contents), sorted by code unit. */
async function listSorted(dir: string, rel = ''): Promise<string[]> {
  const entries = await readdir(rel ? join(dir, rel) : dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    out.push(p);
    if (e.isDirectory()) out.push(...(await listSorted(dir, p)));
  }
  return out;
}

/**
 * A deterministic, uncompressed tar of the contents of `dir` (entries relative to it). We list and
 * sort the entries ourselves with noDirRecurse because tar's own recursion follows readdir order,
 * which differs between filesystems.
 */
export async function packDir(dir: string): Promise<Readable> {
  return packEntries(dir, await listSorted(dir));
}

/** A deterministic tar of exactly `files` (paths relative to `dir`, in the order given). */
export function packEntries(dir: string, files: string[]): Readable {
  // tar refuses an empty file list; an empty archive is just its two zero end blocks.
  if (files.length === 0) return Readable.from([Buffer.alloc(1024)], { objectMode: false });
  const pack = tar.create({ cwd: dir, portable: true, mtime: FIXED_MTIME, noDirRecurse: true, strict: true }, files);
  return Readable.from(pack as AsyncIterable<Buffer>, { objectMode: false });
}

/** Unpacks the tar file at `file` into the existing directory `dir`. */
export async function unpackTo(file: string, dir: string): Promise<void> {
  if (await isEmptyArchive(file)) return;
  // tar refuses absolute paths and `..` entries by default (no preservePaths).
  await tar.extract({ file, cwd: dir, strict: true, preserveOwner: false, noMtime: true });
}

/** tar's parser rejects an archive with no entries (all zero blocks), which is what an empty dir packs to. */
async function isEmptyArchive(file: string): Promise<boolean> {
  if ((await stat(file)).size > 10_240) return false;
  return (await readFile(file)).every((b) => b === 0);
}
