import { Command } from 'commander';
import type { ApiClient } from '../client.js';
import { contextOf } from '../context.js';
import { colors, err, out } from '../output.js';
import { isTransient, Reconnect } from '../reconnect.js';
import { sseEvents } from '../sse.js';

interface LogLine {
  ts: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

function print(l: LogLine, json: boolean): void {
  if (json) out(JSON.stringify(l));
  else if (l.stream === 'stderr') err(colors.dim(l.line));
  else out(l.line);
}

/**
 * Streams the step's log (SSE) until the server says it ended. A dropped connection or an API
 * restart is waited out with backoff, and the stream resumes after the last line printed
 * (Last-Event-ID, a byte offset), so no line is printed twice or lost.
 */
async function follow(client: ApiClient, path: string, json: boolean): Promise<void> {
  let lastId: string | undefined;
  const reconnect = new Reconnect('following the log');
  for (;;) {
    let cause: unknown = new Error('the log stream ended early');
    try {
      const res = await client.send('GET', path, {
        query: { follow: 'true' },
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
      });
      reconnect.ok();
      for await (const e of sseEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
        if (e.event === 'line') {
          print(JSON.parse(e.data) as LogLine, json);
          if (e.id) lastId = e.id;
        } else if (e.event === 'end') {
          return;
        }
      }
    } catch (e) {
      if (!isTransient(e)) throw e;
      cause = e;
    }
    await reconnect.wait(cause);
  }
}

export function logsCommand(): Command {
  return new Command('logs')
    .description("Print the log of a run's step")
    .argument('<run>')
    .argument('<step>')
    .option('-f, --follow', 'stream the log live until the step ends')
    .action(async (run: string, step: string, o: { follow?: boolean }, c: Command) => {
      const { client, json } = contextOf(c);
      const path = `/v1/runs/${run}/steps/${step}/logs`;
      if (o.follow) return follow(client, path, json);
      const res = await client.send('GET', path, { query: { format: json ? 'jsonl' : 'text' } });
      process.stdout.write(await res.text());
    });
}
