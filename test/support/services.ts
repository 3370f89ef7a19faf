import { S3Client } from '@aws-sdk/client-s3';

/**
 * Where the real test services started by scripts/test-services.sh listen. Tests read these
 * (overridable through the environment for a different machine) instead of hard-coding them.
 */
export const testServices = {
  postgresUrl: process.env.SLUICE_TEST_DATABASE_URL ?? 'postgres://sluice:sluice@127.0.0.1:5432/sluice_test',
  s3: {
    endpoint: process.env.SLUICE_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:19000',
    accessKeyId: 'sluice-minio',
    secretAccessKey: 'sluice-minio-secret',
    region: 'us-east-1',
  },
  images: { busybox: 'sluice/busybox:1', sklearn: 'sluice/sklearn:1' },
} as const;

/** A short unique suffix so every test gets its own ids, queues, buckets and schemas. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** An S3 client for the test MinIO (path-style, as a local endpoint needs). */
export function testS3Client(): S3Client {
  const { s3 } = testServices;
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}
