import { connect, createServer, type Socket } from 'node:net';

/**
 * A loopback TCP forwarder to `target` ("host:port"). freeze() stops moving bytes both ways (and
 * holds new connections): a client behind it waits on calls that neither fail nor answer, so a
 * test can catch a process between two steps of its work.
 */
export interface TcpProxy {
  address: string;
  freeze(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => client.destroy());
    if (frozen) return client.pause();
    const upstream = connect(port, host);
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.once('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${own}`,
    freeze() {
      frozen = true;
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
