import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testS3Client, testServices, uniqueId } from '../../test/support/services.js';
import { createArtifactStore } from './index.js';
import { LocalArtifactStore } from './local.js';
import { S3ArtifactStore } from './s3.js';

const { s3 } = testServices;
const bucket = uniqueId('art');
const client = testS3Client();
// Records every command the client really sends, so a test can tell whether an upload happened.
const sent: string[] = [];
client.middlewareStack.add(
  (next, context) => (args) => {
    sent.push(context.commandName ?? '?');
    return next(args);
  },
  { step: 'initialize', name: 'recordCommands' },
);
const store = new S3ArtifactStore({ client, bucket, prefix: '/runs/art/' });
let work: string;

beforeAll(async () => {
  await store.ensureBucket();
  await store.ensureBucket(); // idempotent
});
afterAll(async () => {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const o of listed.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  client.destroy();
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'sluice-s3-art-'));
  return () => rm(work, { recursive: true, force: true });
});

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('S3ArtifactStore', () => {
  it('round-trips a file under the prefix', async () => {
    const body = Buffer.alloc(9 * 1024 * 1024, 7); // over one part: exercises the multipart path
    await writeFile(join(work, 'big.bin'), body);
    const ref = await store.putPath(join(work, 'big.bin'));
    expect(ref).toEqual({
      uri: `s3://${bucket}/runs/art/sha256/${sha(body).slice(0, 2)}/${sha(body)}`,
      sha256: sha(body),
      size: body.length,
      kind: 'file',
    });
    expect(await store.exists(ref.uri)).toBe(true);
    await store.fetchTo(ref, join(work, 'back', 'big.bin'));
    expect(sha(await readFile(join(work, 'back', 'big.bin')))).toBe(ref.sha256);
  });

  it('round-trips a directory', async () => {
    const src = join(work, 'model');
    await mkdir(join(src, 'weights', 'layer0'), { recursive: true });
    await writeFile(join(src, 'config.json'), '{"lr":0.1}');
    await writeFile(join(src, 'weights', 'layer0', 'w.npy'), Buffer.from([1, 2, 3]));
    const ref = await store.putPath(src);
    expect(ref.kind).toBe('dir');
    const dest = join(work, 'restored');
    await store.fetchTo(ref, dest);
    expect(await readFile(join(dest, 'config.json'), 'utf8')).toBe('{"lr":0.1}');
    expect(await readFile(join(dest, 'weights', 'layer0', 'w.npy'))).toEqual(Buffer.from([1, 2, 3]));
    // Same digest as the local store gives: both use the one deterministic tar.
    const local = new LocalArtifactStore(join(work, 'local'));
    expect((await local.putPath(src)).sha256).toBe(ref.sha256);
  });

  it('does not upload content that is already stored', async () => {
    await writeFile(join(work, 'a.txt'), `idempotent ${bucket}`);
    sent.length = 0;
    const first = await store.putPath(join(work, 'a.txt'));
    expect(sent).toContain('PutObjectCommand');
    sent.length = 0;
    const second = await store.putPath(join(work, 'a.txt'));
    const third = await store.putStream(Readable.from([Buffer.from(`idempotent ${bucket}`)]));
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(sent).toEqual(['HeadObjectCommand', 'HeadObjectCommand']);
    const spools = (await readdir(tmpdir())).filter((n) => n.startsWith('sluice-artifact-'));
    expect(spools).toEqual([]);
  });

  it('answers exists and owns, and rejects URIs of other stores', async () => {
    const ref = await store.putStream(Readable.from([Buffer.from('owned')]));
    expect(store.owns(ref.uri)).toBe(true);
    const missing = ref.uri
      .replace(ref.sha256, sha('nope'))
      .replace(`/${ref.sha256.slice(0, 2)}/`, `/${sha('nope').slice(0, 2)}/`);
    expect(store.owns(missing)).toBe(true);
    expect(await store.exists(missing)).toBe(false);
    await expect(store.open(missing)).rejects.toThrow(/artifact not found/);

    const otherPrefix = new S3ArtifactStore({ client, bucket, prefix: 'elsewhere' });
    expect(otherPrefix.owns(ref.uri)).toBe(false);
    await expect(otherPrefix.open(ref.uri)).rejects.toThrow(
      /does not belong to the S3 artifact store s3:\/\/.*\/elsewhere\//,
    );

    const local = new LocalArtifactStore(join(work, 'local'));
    await expect(local.fetchTo(ref, join(work, 'x'))).rejects.toThrow(/does not belong to the local artifact store/);
    const localRef = await local.putStream(Readable.from([Buffer.from('owned')]));
    expect(store.owns(localRef.uri)).toBe(false);
    await expect(store.exists(localRef.uri)).rejects.toThrow(/does not belong to the S3 artifact store/);
  });

  it('detects a corrupt object on fetchTo', async () => {
    const ref = await store.putStream(Readable.from([Buffer.from('genuine')]));
    await expect(store.fetchTo({ ...ref, sha256: sha('other') }, join(work, 'out', 'f'))).rejects.toThrow(
      /sha256 mismatch/,
    );
    expect(await readdir(join(work, 'out'))).toEqual([]);
  });

  it('is built by createArtifactStore from plain config', async () => {
    const made = createArtifactStore({ kind: 's3', bucket, prefix: 'runs/art', ...s3 });
    const ref = await made.putStream(Readable.from([Buffer.from('via factory')]));
    expect(store.owns(ref.uri)).toBe(true);
    await made.fetchTo(ref, join(work, 'f'));
    expect(await readFile(join(work, 'f'), 'utf8')).toBe('via factory');
  });
});
