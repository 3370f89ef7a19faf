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
