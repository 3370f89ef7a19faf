import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { contentKey, parseContentKey, spoolTo } from './digest.js';
import { materialize } from './materialize.js';
import type { ArtifactRef, ArtifactStore } from './store.js';
import { packDir } from './tarball.js';

/** Content-addressed artifacts on the local disk: `<root>/sha256/<first2>/<hex>`, URI `file://…`. */
export class LocalArtifactStore implements ArtifactStore {
  readonly kind = 'local' as const;
  readonly root: string;
  private readonly uriPrefix: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.uriPrefix = `${pathToFileURL(this.root).href}/`;
  }

  async putPath(path: string): Promise<ArtifactRef> {
    const st = await stat(path);
    if (st.isDirectory()) return this.store(await packDir(path), 'dir');
    if (!st.isFile()) throw new Error(`cannot store ${path}: not a regular file or a directory`);
    return this.store(createReadStream(path), 'file');
  }

  putStream(body: Readable): Promise<ArtifactRef> {
    return this.store(body, 'file');
  }

  async open(uri: string): Promise<Readable> {
    const path = this.pathOf(uri);
    try {
      return (await open(path, 'r')).createReadStream();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(`artifact not found: ${uri}`, { cause: err });
      throw err;
    }
  }

  async fetchTo(ref: Pick<ArtifactRef, 'uri' | 'sha256' | 'kind'>, dest: string): Promise<void> {
    await materialize(await this.open(ref.uri), ref, dest);
  }

  async exists(uri: string): Promise<boolean> {
    return isFile(this.pathOf(uri));
  }

  owns(uri: string): boolean {
    return uri.startsWith(this.uriPrefix) && parseContentKey(uri.slice(this.uriPrefix.length)) !== undefined;
  }

  /** Hashes while writing to a temporary in the same root, then renames into place atomically. */
  private async store(body: Readable, kind: ArtifactRef['kind']): Promise<ArtifactRef> {
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomUUID());
    try {
      const { sha256, size } = await spoolTo(body, tmp);
      const key = contentKey(sha256);
      const path = join(this.root, key);
      if (!(await isFile(path))) {
        await mkdir(dirname(path), { recursive: true });
        await chmod(tmp, 0o444);
        // A concurrent put of the same bytes may win the race; rename just replaces identical content.
        await rename(tmp, path);
      }
      return { uri: this.uriPrefix + key, sha256, size, kind };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private pathOf(uri: string): string {
    if (!this.owns(uri)) {
      throw new Error(
        `artifact URI ${JSON.stringify(uri)} does not belong to the local artifact store at ${this.root} ` +
          '(it was written by another store; every worker must be configured with the same artifact store)',
      );
    }
    return join(this.root, uri.slice(this.uriPrefix.length));
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
