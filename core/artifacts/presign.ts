import type { S3Client } from '@aws-sdk/client-s3';

/** What the client's configured signer can do beyond signing (SignatureV4MultiRegion). */
interface Presigner {
  presign(
    request: {
      method: string;
      protocol: string;
      hostname: string;
      port?: number;
      path: string;
      query: Record<string, string>;
      headers: Record<string, string>;
    },
    options: { expiresIn: number },
  ): Promise<{ protocol: string; hostname: string; port?: number; path: string; query?: Record<string, unknown> }>;
}

/** S3 (SigV4) limits a presigned URL to a week. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/**
 * A presigned URL for one object, signed with the client's own signer and credentials (no extra
 * package: @aws-sdk/s3-request-presigner is not a dependency). The payload is unsigned, as S3 expects
 * of a presigned PUT. Path style when the client uses it (MinIO), virtual-hosted style on AWS.
 */
export async function presignS3(
  client: S3Client,
  bucket: string,
  key: string,
  method: 'GET' | 'PUT',
  expiresInSeconds: number,
): Promise<string> {
  const config = client.config as unknown as {
    signer: () => Promise<Presigner>;
    endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path: string }>;
    region: () => Promise<string>;
    forcePathStyle?: boolean;
  };
  const encodedKey = key.split('/').map(encodeURIComponent).join('/');
  const custom = config.endpoint ? await config.endpoint() : undefined;
  const pathStyle = custom !== undefined && config.forcePathStyle === true;
  const protocol = custom?.protocol ?? 'https:';
  const base = custom?.hostname ?? `s3.${await config.region()}.amazonaws.com`;
  const hostname = pathStyle ? base : `${bucket}.${base}`;
  const port = custom?.port;
  const prefix = (custom?.path ?? '/').replace(/\/+$/, '');
  const path = pathStyle ? `${prefix}/${bucket}/${encodedKey}` : `${prefix}/${encodedKey}`;
  const signer = await config.signer();
  const signed = await signer.presign(
    {
      method,
      protocol,
      hostname,
      ...(port !== undefined ? { port } : {}),
      path,
      query: {},
      headers: {
        host: port !== undefined ? `${hostname}:${port}` : hostname,
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      },
    },
    { expiresIn: expiresInSeconds },
  );
  const query = new URLSearchParams(
    Object.entries(signed.query ?? {}).map(([k, v]) => [k, String(v)] as [string, string]),
  ).toString();
  return `${signed.protocol}//${signed.hostname}${signed.port !== undefined ? `:${signed.port}` : ''}${signed.path}?${query}`;
}
