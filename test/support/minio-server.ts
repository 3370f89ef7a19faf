import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../core/temporal/dev-server.js';
import { testServices } from './services.js';
import { waitFor } from './wait.js';

/** A MinIO of a test's own (the binary scripts/test-services.sh installs), so an outage test can stop it. */
export interface PrivateMinio {
  endpoint: string;
  client(): S3Client;
  /** Stops the server (SIGKILL: an outage, not a shutdown) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves once it is live. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

const binary = () => join(process.env.SLUICE_TOOLS_DIR ?? join(homedir(), '.cache', 'sluice'), 'bin', 'minio');

export async function startPrivateMinio(): Promise<PrivateMinio> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-minio-'));
  const port = await freePort();
  const consolePort = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const { accessKeyId, secretAccessKey, region } = testServices.s3;
  let proc: ChildProcess | undefined;

  const live = async () => {
    try {
      return (await fetch(`${endpoint}/minio/health/live`)).ok;
    } catch {
      return false;
    }
  };
  const start = async () => {
    const args = ['server', '--quiet', '--address', `127.0.0.1:${port}`];
    proc = spawn(binary(), [...args, '--console-address', `127.0.0.1:${consolePort}`, join(dir, 'data')], {
      env: { ...process.env, MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey, MINIO_BROWSER: 'off' },
      stdio: 'ignore',
    });
    await waitFor('the private MinIO to be live', live, 60_000);
  };
  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  };
  await start();
  return {
    endpoint,
    client: () =>
      new S3Client({
        endpoint,
        region,
        forcePathStyle: true,
        credentials: { accessKeyId, secretAccessKey },
      }),
    stop,
    start,
    destroy: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
