import type { FastifyReply, FastifyRequest } from 'fastify';
import { once } from 'node:events';

const HEARTBEAT_MS = 15_000;

export interface SseStream {
  /** Aborted when the client goes away (or `close` is called). */
  signal: AbortSignal;
  send(event: string, data: unknown, id?: string | number): Promise<void>;
  close(): void;
}

/**
 * Takes the response over from Fastify and speaks Server-Sent Events on it: headers now,
 * a comment every 15 s so proxies keep the connection, and backpressure on every write.
 */
export function openSse(req: FastifyRequest, reply: FastifyReply): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': String(req.id),
  });
  res.write(': stream open\n\n');
  const abort = new AbortController();
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  res.on('close', () => {
    clearInterval(heartbeat);
    abort.abort();
  });
  return {
    signal: abort.signal,
    async send(event, data, id) {
      if (res.writableEnded || abort.signal.aborted) return;
      const frame = `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
      if (!res.write(frame)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    },
    close() {
      clearInterval(heartbeat);
      if (!res.writableEnded) res.end();
    },
  };
}
