import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ModelServerMode =
  | { kind: 'ok' }
  /** Answers after `ms` (for the gateway's timeout). */
  | { kind: 'slow'; ms: number }
  | { kind: 'status'; status: number; body: string }
  /** 200 with this raw body (not predictions). */
  | { kind: 'raw'; body: string };

export interface ModelServer {
  url: string;
  /** Bodies of the POST /predict requests received, parsed. */
  received: { rows: Record<string, unknown>[] }[];
  mode: ModelServerMode;
  close(): Promise<void>;
}

/**
 * A real model server on a loopback port, keeping the serving contract: `POST /predict` with
 * `{"rows": [...]}` answers `{"predictions": [...]}`, one per row: `predict(row)` (by default the
 * row's `x` times 10 plus the version, so a test can tell which version answered).
 */
export async function startModelServer(
  version: number,
  predict: (row: Record<string, unknown>) => unknown = (row) => Number(row.x ?? 0) * 10 + version,
): Promise<ModelServer> {
  const received: ModelServer['received'] = [];
  const state: ModelServer = { url: '', received, mode: { kind: 'ok' }, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/ready') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version }));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/predict') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { rows: Record<string, unknown>[] };
      received.push(body);
      const answer = () => {
        const mode = state.mode;
        if (mode.kind === 'status') res.writeHead(mode.status, { 'content-type': 'application/json' }).end(mode.body);
        else if (mode.kind === 'raw') res.writeHead(200, { 'content-type': 'application/json' }).end(mode.body);
        else
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ predictions: body.rows.map(predict) }));
      };
      if (state.mode.kind === 'slow') setTimeout(answer, state.mode.ms);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
