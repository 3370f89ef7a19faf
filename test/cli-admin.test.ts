import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyCheck } from '../core/access/key-check.js';
import { openDb, type Db } from '../core/db/connect.js';
import { testServices, uniqueId } from './support/services.js';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `sluice admin …` as an operator runs it on the database host: a child process, no API anywhere. */
const sluice = (args: string[], env: Record<string, string>): Promise<Result> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin/sluice.js'), ...args],
      { cwd: root, timeout: 60_000, env: { PATH: process.env.PATH, SLUICE_LOG_LEVEL: 'silent', ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });

/** The issued key authenticates, and its issue is in the audit trail under the local actor. */
async function expectIssued(db: Db, secret: string, name: string): Promise<void> {
  const principal = await new KeyCheck(db).principal(secret);
  expect(principal).toMatchObject({ name, role: 'admin' });
  const event = await db
    .selectFrom('events')
    .selectAll()
    .where('action', '=', 'key.issue')
    .where('resource_id', '=', principal.keyId)
    .executeTakeFirstOrThrow();
  expect(event.actor).toMatch(/^local:.+@.+$/);
}

describe('sluice admin issue-key', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('issues an audited admin key into the data dir PGlite, and refuses while a stack holds it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-admin-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const res = await sluice(['admin', 'issue-key', '--role', 'admin', '--name', 'rescue'], {
      SLUICE_DATA_DIR: dataDir,
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/issued key_\w+ \(admin, prefix slk_.{8}\) as local:/);
    const secret = res.stdout.trim().split('\n').at(-1)!;
    expect(secret).toMatch(/^slk_[\w-]{43}$/);

    // A running stack holds the data dir: its PGlite is never opened twice.
    await writeFile(join(dataDir, 'sluice.pid'), String(process.pid));
    const locked = await sluice(['admin', 'issue-key', '--role', 'admin'], { SLUICE_DATA_DIR: dataDir });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/already running/);
    await rm(join(dataDir, 'sluice.pid'));

    const db = await openDb({ pgliteDir: join(dataDir, 'pglite') });
    cleanups.push(() => db.destroy());
    await expectIssued(db, secret, 'rescue');
  });

  it('gives a fresh PostgreSQL schema (a split deployment) its first admin key, as JSON', async () => {
    const schema = uniqueId('cli').replace(/-/g, '_');
    const admin = new pg.Client({ connectionString: testServices.postgresUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    });
    const res = await sluice(['--json', 'admin', 'issue-key', '--role', 'admin'], {
      DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: schema,
      SLUICE_DATA_DIR: join(tmpdir(), uniqueId('unused')),
    });
    expect(res.code, res.stderr).toBe(0);
    const issued = JSON.parse(res.stdout) as { key: string; role: string; name: string; prefix: string };
    expect(issued).toMatchObject({ role: 'admin', name: 'admin (local)', prefix: issued.key.slice(0, 12) });

    const db = await openDb({ databaseUrl: testServices.postgresUrl, schema });
    cleanups.push(() => db.destroy());
    await expectIssued(db, issued.key, 'admin (local)');
  });

  it('bad usage exits 2', async () => {
    const noRole = await sluice(['admin', 'issue-key'], { SLUICE_DATA_DIR: '/nonexistent' });
    expect(noRole.code).toBe(2);
    expect(noRole.stderr).toMatch(/--role/);
    const badName = await sluice(['admin', 'issue-key', '--role', 'admin', '--name', 'a\u0007b'], {
      SLUICE_DATA_DIR: '/nonexistent',
    });
    expect(badName.code).toBe(2);
  });
});
