/** Packs a pipeline's code directory into a deterministic tar: the same files always give the same digest. */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spoolTo } from '../artifacts/digest.js';
import { packEntries } from '../artifacts/tarball.js';
import { isIgnored, parseIgnore, type IgnoreRule } from './ignore.js';

export const IGNORE_FILE = '.sluiceignore';
/** Never packed, whatever `.sluiceignore` says: VCS data, caches and environments differ between machines. */
export const DEFAULT_IGNORES = ['.git/', '__pycache__/', '*.pyc', '.venv/', 'venv/', 'node_modules/', '.DS_Store'];
/** Code, not data: data sets and models travel as datasets and artifacts. */
export const MAX_CODE_PACKAGE_BYTES = 64 * 1024 * 1024;

export class CodePackageError extends Error {
  override name = 'CodePackageError';
}

export interface CodeListing {
  /** Directories and files, relative, sorted by code unit, each directory before its contents. */
  entries: string[];
  files: number;
  bytes: number;
}

export interface PackedCode {
  /** `sha256:<hex>` of the tar. */
  digest: string;
  sha256: string;
  size: number;
  files: number;
}

async function readRules(dir: string): Promise<IgnoreRule[]> {
  let text = '';
  try {
    text = await readFile(join(dir, IGNORE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return parseIgnore([...DEFAULT_IGNORES, text].join('\n'));
}

/** What would be packed; refuses symlinks and special files, and a package over `maxBytes`. */
export async function listCode(dir: string, maxBytes = MAX_CODE_PACKAGE_BYTES): Promise<CodeListing> {
  let root;
  try {
    root = await lstat(dir);
  } catch {
    throw new CodePackageError(`code directory ${dir} does not exist`);
  }
  if (!root.isDirectory()) throw new CodePackageError(`code path ${dir} is not a directory`);
  const rules = await readRules(dir);
  const listing: CodeListing = { entries: [], files: 0, bytes: 0 };
  const sizes: Array<[string, number]> = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(rel ? join(dir, rel) : dir)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, path));
      if (isIgnored(rules, path, st.isDirectory())) continue;
      if (st.isDirectory()) {
        listing.entries.push(path);
        await walk(path);
      } else if (st.isFile()) {
        listing.entries.push(path);
        listing.files += 1;
        listing.bytes += st.size;
        sizes.push([path, st.size]);
      } else {
        throw new CodePackageError(
          `code package ${dir}: ${path} is not a regular file or directory (symlinks are not packed); copy it or list it in ${IGNORE_FILE}`,
        );
      }
    }
  };
  await walk('');
  if (listing.bytes > maxBytes) {
    const largest = sizes
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([p, n]) => `${p} (${mib(n)})`);
    throw new CodePackageError(
      `code package ${dir} is ${mib(listing.bytes)}, over the ${mib(maxBytes)} limit; largest: ${largest.join(', ')}. ` +
        `List data, models and build output in ${IGNORE_FILE} (data travels as datasets and artifacts).`,
    );
  }
  return listing;
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Packs `dir` into the new file `dest` (which must not exist). */
export async function packCode(dir: string, dest: string, maxBytes = MAX_CODE_PACKAGE_BYTES): Promise<PackedCode> {
  const listing = await listCode(dir, maxBytes);
  const { sha256, size } = await spoolTo(packEntries(dir, listing.entries), dest);
  return { digest: `sha256:${sha256}`, sha256, size, files: listing.files };
}
