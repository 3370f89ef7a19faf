/**
 * Run by s3-large.test.ts in its own process so the parent can judge this process's peak memory:
 * stores one file through S3ArtifactStore.putPath and prints the ref with the peak RSS.
 * Usage: node --import tsx s3-large.child.ts <bucket> <file>
 */
import { readFileSync } from 'node:fs';
import { testS3Client } from '../../test/services.js';
import { S3ArtifactStore } from './s3.js';

const [bucket, file] = process.argv.slice(2);
if (!bucket || !file) throw new Error('usage: s3-large.child.ts <bucket> <file>');
const client = testS3Client();
const store = new S3ArtifactStore({ client, bucket });
const started = Date.now();
const ref = await store.putPath(file);
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
client.destroy();
process.stdout.write(
  `${JSON.stringify({ ref, ms: Date.now() - started, vmHwmKiB: Number(hwm?.[1]), maxRssKiB: process.resourceUsage().maxRSS })}\n`,
);
