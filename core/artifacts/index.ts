import { S3Client } from '@aws-sdk/client-s3';
import { LocalArtifactStore } from './local.js';
import { S3ArtifactStore } from './s3.js';
import type { ArtifactStore } from './store.js';

export type { ArtifactRef, ArtifactStore } from './store.js';
export { LocalArtifactStore } from './local.js';
export { S3ArtifactStore, type S3ArtifactStoreOptions } from './s3.js';

export type ArtifactStoreConfig =
  | { kind: 'local'; root: string }
  | {
      kind: 's3';
      bucket: string;
      prefix?: string;
      /** e.g. http://127.0.0.1:19000 for MinIO; omit for AWS. */
      endpoint?: string;
      region: string;
      /** Omit both to use the SDK's default credential chain. */
      accessKeyId?: string;
      secretAccessKey?: string;
      /** Defaults to true when an endpoint is given (MinIO and most S3 look-alikes need path style). */
      forcePathStyle?: boolean;
    };

export function createArtifactStore(cfg: ArtifactStoreConfig): ArtifactStore {
  if (cfg.kind === 'local') return new LocalArtifactStore(cfg.root);
  if ((cfg.accessKeyId === undefined) !== (cfg.secretAccessKey === undefined)) {
    throw new Error('S3 artifact store: give both accessKeyId and secretAccessKey, or neither');
  }
  const client = new S3Client({
    region: cfg.region,
    ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
    forcePathStyle: cfg.forcePathStyle ?? cfg.endpoint !== undefined,
    ...(cfg.accessKeyId && cfg.secretAccessKey
      ? { credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey } }
      : {}),
  });
  return new S3ArtifactStore({
    client,
    bucket: cfg.bucket,
    ...(cfg.prefix !== undefined ? { prefix: cfg.prefix } : {}),
  });
}
