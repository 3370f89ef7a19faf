import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from './local.js';

let work: string;
let store: LocalArtifactStore;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'sluice-local-art-'));
  store = new LocalArtifactStore(join(work, 'store'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function makeTree(dir: string): Promise<void> {
  await mkdir(join(dir, 'a', 'b'), { recursive: true });
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'top.txt'), 'top');
  await writeFile(join(dir, 'a', 'one.bin'), Buffer.from([0, 1, 2, 255]));
  await writeFile(join(dir, 'a', 'b', 'deep.json'), '{"deep":true}');
}

describe('LocalArtifactStore', () => {
  it('round-trips a file at a content-addressed path', async () => {
    const src = join(work, 'model.bin');
    await writeFile(src, 'weights');
    const ref = await store.putPath(src);
    expect(ref).toMatchObject({ sha256: sha('weights'), size: 7, kind: 'file' });
    expect(ref.uri).toBe(`file://${join(work, 'store', 'sha256', ref.sha256.slice(0, 2), ref.sha256)}`);
    expect(store.owns(ref.uri)).toBe(true);
    expect(await store.exists(ref.uri)).toBe(true);

    const dest = join(work, 'out', 'nested', 'model.bin');
    await store.fetchTo(ref, dest);
    expect(await readFile(dest, 'utf8')).toBe('weights');
    const chunks: Buffer[] = [];
    for await (const c of await store.open(ref.uri)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('weights');
  });

  it('stores the same content once, at the same URI', async () => {
    await writeFile(join(work, 'x'), 'same');
    await writeFile(join(work, 'y'), 'same');
    const a = await store.putPath(join(work, 'x'));
    const b = await store.putPath(join(work, 'y'));
    const c = await store.putStream(Readable.from([Buffer.from('sa'), Buffer.from('me')]));
    expect(b.uri).toBe(a.uri);
    expect(c.uri).toBe(a.uri);
    const shards = await readdir(join(work, 'store', 'sha256'));
    expect(shards).toEqual([a.sha256.slice(0, 2)]);
    expect(await readdir(join(work, 'store', 'sha256', shards[0]!))).toEqual([a.sha256]);
    expect(await readdir(join(work, 'store', 'tmp'))).toEqual([]);
  });

  it('round-trips a directory with nested files and empty dirs', async () => {
    const src = join(work, 'src');
    await makeTree(src);
    const ref = await store.putPath(src);
    expect(ref.kind).toBe('dir');
    const dest = join(work, 'restored');
    await store.fetchTo(ref, dest);
    expect(await readFile(join(dest, 'top.txt'), 'utf8')).toBe('top');
    expect(await readFile(join(dest, 'a', 'one.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await readFile(join(dest, 'a', 'b', 'deep.json'), 'utf8')).toBe('{"deep":true}');
    expect((await stat(join(dest, 'empty'))).isDirectory()).toBe(true);
    // Unpacking into an existing directory works too.
    const existing = join(work, 'existing');
    await mkdir(existing);
    await store.fetchTo(ref, existing);
    expect((await readdir(existing)).sort()).toEqual(['a', 'empty', 'top.txt']);
    expect((await readdir(work)).filter((n) => n.includes('sluice-'))).toEqual([]);
  });

  it('gives a directory the same digest regardless of mtimes', async () => {
    const src = join(work, 'src');
    await makeTree(src);
    const first = await store.putPath(src);
    const later = new Date(Date.now() + 3_600_000);
    for (const p of ['top.txt', 'a/one.bin', 'a/b/deep.json', 'a', 'empty']) await utimes(join(src, p), later, later);
    const again = await store.putPath(src);
    expect(again.sha256).toBe(first.sha256);
    expect(again.uri).toBe(first.uri);
    // A copy built in another order lands on the same digest as well.
    const copy = join(work, 'copy');
    await mkdir(join(copy, 'empty'), { recursive: true });
    await mkdir(join(copy, 'a', 'b'), { recursive: true });
    await writeFile(join(copy, 'a', 'b', 'deep.json'), '{"deep":true}');
    await writeFile(join(copy, 'a', 'one.bin'), Buffer.from([0, 1, 2, 255]));
    await writeFile(join(copy, 'top.txt'), 'top');
    expect((await store.putPath(copy)).sha256).toBe(first.sha256);
    await writeFile(join(src, 'top.txt'), 'changed');
    expect((await store.putPath(src)).sha256).not.toBe(first.sha256);
  });

  it('detects corruption on fetchTo and leaves no partial output', async () => {
    const src = join(work, 'data.csv');
    await writeFile(src, 'a,b\n1,2\n');
    const ref = await store.putPath(src);
    const stored = fileURLToPath(ref.uri);
    await chmod(stored, 0o644);
    await writeFile(stored, 'a,b\n1,3\n');
    const outDir = join(work, 'out');
    await expect(store.fetchTo(ref, join(outDir, 'data.csv'))).rejects.toThrow(/sha256 mismatch/);
    expect(await readdir(outDir)).toEqual([]);

    const tree = join(work, 'tree');
    await makeTree(tree);
    const dirRef = await store.putPath(tree);
    await chmod(fileURLToPath(dirRef.uri), 0o644);
    await writeFile(fileURLToPath(dirRef.uri), Buffer.alloc(1024));
    await expect(store.fetchTo(dirRef, join(outDir, 'restored'))).rejects.toThrow(/sha256 mismatch/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('round-trips an empty directory', async () => {
    await mkdir(join(work, 'void'));
    const ref = await store.putPath(join(work, 'void'));
    await store.fetchTo(ref, join(work, 'void2'));
    expect(await readdir(join(work, 'void2'))).toEqual([]);
  });

  it('round-trips a stream', async () => {
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(10_000, i));
    const ref = await store.putStream(Readable.from(parts));
    expect(ref).toMatchObject({ size: 500_000, sha256: sha(Buffer.concat(parts)), kind: 'file' });
    const dest = join(work, 'streamed');
    await store.fetchTo(ref, dest);
    expect(sha(await readFile(dest))).toBe(ref.sha256);
  });

  it('rejects URIs of other stores clearly', async () => {
    const other = new LocalArtifactStore(join(work, 'other'));
    await writeFile(join(work, 'f'), 'f');
    const ref = await other.putPath(join(work, 'f'));
    expect(store.owns(ref.uri)).toBe(false);
    await expect(store.open(ref.uri)).rejects.toThrow(/does not belong to the local artifact store/);
    const s3uri = `s3://bucket/sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}`;
    await expect(store.exists(s3uri)).rejects.toThrow(/does not belong/);
    await expect(store.fetchTo({ ...ref, uri: `${ref.uri}/../x` }, join(work, 'g'))).rejects.toThrow(/does not belong/);
    expect(await store.exists(ref.uri.replace(join(work, 'other'), join(work, 'store')))).toBe(false);
  });
});
