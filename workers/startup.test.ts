import { describe, expect, it, vi } from 'vitest';
import { runEntryPoint, type EntryPoint } from './startup.js';

const worker: EntryPoint = { name: 'sluice-worker', role: 'a standalone worker', split: true };
const stack: EntryPoint = { name: 'sluice', role: 'the embedded stack' };

/** Runs an entry point on `env` and reports how it would have exited, and what it wrote to stderr. */
async function start(entry: EntryPoint, env: Record<string, string>, main = async () => {}) {
  const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await runEntryPoint(entry, main, env);
    return { code: exit.mock.calls[0]?.[0], stderr: stderr.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    exit.mockRestore();
    stderr.mockRestore();
  }
}

describe('every entry point starts the same way', () => {
  it('a split process exits 2 naming the variable it needs: Temporal and the database are shared', async () => {
    const noTemporal = await start(worker, { DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x' });
    expect(noTemporal.code).toBe(2);
    expect(noTemporal.stderr).toContain('SLUICE_TEMPORAL_ADDRESS is required for a standalone worker');
    const noDb = await start(worker, { SLUICE_TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toContain('DATABASE_URL is required for a standalone worker');
  });

  it('a malformed variable exits 2 naming it, before anything starts', async () => {
    const main = vi.fn(async () => {});
    const res = await start(stack, { SLUICE_PORT: 'eighty' }, main);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('SLUICE_PORT');
    expect(main).not.toHaveBeenCalled();
  });

  it('any other failure exits 1 naming what failed; a good start does not exit', async () => {
    const failed = await start(stack, {}, async () => {
      throw new Error('port in use');
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('[sluice] the embedded stack failed: port in use');
    expect((await start(stack, {})).code).toBeUndefined();
  });
});
