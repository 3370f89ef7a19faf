import { spawn } from 'node:child_process';
import { chown, mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A PostgreSQL cluster of a test's own (Debian's binaries, a temp dir, a free loopback port, its
 * unix socket in the temp dir), so an outage test can stop it without touching the shared server.
 */
export interface PgCluster {
  url: string;
  /** Shuts the server down: `fast` disconnects clients cleanly, `immediate` as a crash would. */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

async function binDir(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql')).sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a PostgreSQL tool, as the `postgres` user when we are root (initdb refuses root); output goes to `log`. */
async function pgTool(log: string, bin: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const out = await open(log, 'a');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      // The postmaster pg_ctl forks keeps our descriptors: a log file, never a pipe we would wait on.
      const child = spawn(cmd, argv, { stdio: ['ignore', out.fd, out.fd] });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${code}; see ${log}`);
  } finally {
    await out.close();
  }
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = await binDir();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pg-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresUser();
    await chown(dir, uid, gid);
  }
  const data = join(dir, 'data');
  // The tools' output (opened by us) and the server's log (written by the server's user) are two files.
  const log = join(dir, 'tools.log');
  const serverLog = join(dir, 'server.log');
  const port = await freePort();
  await pgTool(log, `${bin}/initdb`, ['-D', data, '-U', 'sluice', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  const start = () => pgTool(log, `${bin}/pg_ctl`, ['start', '-w', '-D', data, '-l', serverLog, '-o', opts]);
  const stop = (mode: 'fast' | 'immediate') => pgTool(log, `${bin}/pg_ctl`, ['stop', '-w', '-D', data, '-m', mode]);
  await start();
  return {
    url: `postgres://sluice@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy: async () => {
      await stop('immediate').catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root needs a `postgres` user for initdb');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
