import { createServer } from 'node:net';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDb } from './connect.js';
import { isDatabaseUnavailable, markDatabaseUnavailable } from './unavailable.js';

const pgError = (code: string) => Object.assign(new Error('from postgres'), { severity: 'FATAL', code });

describe('isDatabaseUnavailable', () => {
  it('recognises connection-class SQLSTATEs and node-postgres connection failures, also as a cause', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001'])
      expect(isDatabaseUnavailable(pgError(code))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: pgError('57P01') }))).toBe(true);
  });

  it('leaves query errors and untagged network errors of other services alone', () => {
    expect(isDatabaseUnavailable(pgError('23505'))).toBe(false);
    expect(isDatabaseUnavailable(pgError('42P01'))).toBe(false);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:19000'), { code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(refused)).toBe(false);
    expect(isDatabaseUnavailable(markDatabaseUnavailable(refused))).toBe(true);
  });

  it('tags a refused connection of openDb', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise((r) => server.close(r));
    const db = await openDb({ databaseUrl: `postgres://nobody@127.0.0.1:${port}/none` });
    const err = await sql`select 1`.execute(db).catch((e: unknown) => e);
    expect(isDatabaseUnavailable(err)).toBe(true);
    await db.destroy();
  });
});
