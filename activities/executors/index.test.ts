import { createServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { DockerExecutor, dockerAvailable } from './index.js';

describe('DockerExecutor options / dockerAvailable', () => {
  it('rejects a network other than none or host', () => {
    expect(new DockerExecutor({ network: 'host' }).name).toBe('docker');
    expect(() => new DockerExecutor({ network: 'bridge' as 'host' })).toThrow(/none.*host/);
  });

  it('is true when the daemon answers and false, quickly, when none listens', async () => {
    expect(await dockerAvailable()).toBe(true);
    const started = Date.now();
    expect(await dockerAvailable(new Docker({ socketPath: '/nonexistent/docker.sock' }), 500)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('gives up after the timeout on a socket that accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    const socketPath = path.join(os.tmpdir(), `sluice-silent-${process.pid}.sock`);
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    try {
      const started = Date.now();
      expect(await dockerAvailable(new Docker({ socketPath }), 300)).toBe(false);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('reports EngineUnavailable when the daemon cannot be reached', async () => {
    const executor = new DockerExecutor({ docker: new Docker({ socketPath: '/nonexistent/docker.sock' }) });
    await expect(executor.resolveImage('sluice/busybox:1')).rejects.toMatchObject({ code: 'EngineUnavailable' });
  });
});
