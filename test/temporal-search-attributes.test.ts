import { Connection } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../core/temporal/dev-server.js';
import { ensureSearchAttributes } from '../core/temporal/register-search-attributes.js';
import { SEARCH_ATTRIBUTES } from '../core/temporal/search-attributes.js';
import { waitFor } from './support/wait.js';

describe('search attributes on a Temporal that lacks them', () => {
  const stops: Array<() => unknown> = [];
  afterAll(async () => {
    for (const s of stops.reverse()) await s();
  });

  it('the worker start registers the missing ones, and a second registration is a no-op', async () => {
    // A dev server as a cluster given by address would be: none of our attributes.
    const port = await freePort();
    const server = spawn(
      inject('temporalBinary'),
      ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'],
      { stdio: 'ignore' },
    );
    stops.push(() => server.kill('SIGKILL'));
    const connection = await waitFor(
      'the dev server to answer',
      () => Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 1000 }).catch(() => undefined),
      30_000,
    );
    stops.push(() => connection.close());
    const names = Object.keys(SEARCH_ATTRIBUTES);
    const listed = async () =>
      Object.keys((await connection.operatorService.listSearchAttributes({ namespace: 'default' })).customAttributes);
    expect((await listed()).filter((n) => names.includes(n))).toEqual([]);

    expect((await ensureSearchAttributes(connection, 'default')).sort()).toEqual([...names].sort());
    await waitFor('the attributes to be listed', async () => {
      const now = await listed();
      return names.every((n) => now.includes(n));
    });
    expect(await ensureSearchAttributes(connection, 'default')).toEqual([]);
  }, 60_000);
});
