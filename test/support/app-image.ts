import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The production image (Dockerfile) built as a user would build it, on a base made locally
// (sluice/node-base:20, scripts/build-images.sh) because no registry serves node:20-bookworm-slim,
// offline (--network none) from this machine's npm cache. Docker's layer cache makes a rebuild of
// unchanged sources quick; test/production-image.test.ts and test/k8s-manifests.test.ts share it.

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
export const APP_IMAGE = 'sluice/app:test';
const CONTEXT = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'Dockerfile',
  '.dockerignore',
];
const CONTEXT_DIRS = ['core', 'workflows', 'activities', 'api', 'workers', 'cli', 'examples'];

export async function docker(...args: string[]): Promise<string> {
  // DOCKER_BUILDKIT=0: Debian's docker.io has no buildx here; the Dockerfile is written for both builders.
  const { stdout } = await run('docker', args, {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

/** The npm cache of this machine: the build installs from it with --offline (the build has no network). */
async function npmCacheDir(): Promise<string> {
  const { stdout } = await run('npm', ['config', 'get', 'cache']);
  return stdout.trim();
}

/**
 * The lockfile with every package's tarball URL written out. This machine's npm omits the URLs of
 * default-registry packages (omit-lockfile-registry-resolved); an --offline install then asks the
 * registry for a package's metadata to find the URL, which no offline build can. Same packages, same
 * integrity hashes: only where npm finds them is spelled out.
 */
function withRegistryUrls(lockText: string): string {
  const lock = JSON.parse(lockText) as {
    packages: Record<string, { version?: string; resolved?: string; link?: boolean }>;
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || entry.link || entry.resolved || !entry.version) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    entry.resolved = `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
  }
  return JSON.stringify(lock, null, 2);
}

/**
 * Builds APP_IMAGE from the working tree; resolves to the build's duration in seconds. Test files run in
 * parallel processes: one builds at a time (a lock directory), and the next finds every layer cached.
 */
export async function buildAppImage(): Promise<number> {
  const lock = join(tmpdir(), 'sluice-app-image.lock');
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) throw err;
      // A lock left by a killed test run is older than any build takes.
      const age =
        Date.now() -
        (await stat(lock).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        ));
      if (age > 30 * 60_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await buildOnce();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function buildOnce(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-image-context-'));
  try {
    const ctx = join(dir, 'context');
    await mkdir(ctx);
    for (const f of CONTEXT) await cp(join(repo, f), join(ctx, f));
    for (const d of CONTEXT_DIRS) await cp(join(repo, d), join(ctx, d), { recursive: true });
    await cp(join(await npmCacheDir(), '_cacache'), join(ctx, '.build-cache', 'npm', '_cacache'), { recursive: true });
    await writeFile(
      join(ctx, 'package-lock.json'),
      withRegistryUrls(await readFile(join(ctx, 'package-lock.json'), 'utf8')),
    );
    const started = Date.now();
    await docker('build', '--network', 'none', '--build-arg', 'BASE=sluice/node-base:20', '-t', APP_IMAGE, ctx);
    return (Date.now() - started) / 1000;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
