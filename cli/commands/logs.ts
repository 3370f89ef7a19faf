import { Command } from 'commander';
import type { ApiClient } from '../client.js';
import { contextOf } from '../context.js';
import { colors, err, out } from '../output.js';
import { sseEvents } from '../sse.js';

interface LogLine {
  ts: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

const RECONNECTS = 5;

function print(l: LogLine, json: boolean): void {
  if (json) out(JSON.stringify(l));
  else if (l.stream === 'stderr') err(colors.dim(l.line));
  else out(l.line);
}

/**
 * Streams the step's log (SSE) until the server says it ended; a dropped connection resumes from
 * the last byte offset seen (Last-Event-ID), so no line is printed twice.
 */
async function follow(client: ApiClient, path: string, json: boolean): Promise<void> {
  let lastId: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await client.send('GET', path, {
        query: { follow: 'true' },
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
      });
      for await (const e of sseEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
        if (e.event === 'line') {
          print(JSON.parse(e.data) as LogLine, json);
          if (e.id) lastId = e.id;
        } else if (e.event === 'end') {
          return;
        }
      }
    } catch (e) {
      if ((e as { problem?: unknown }).problem || attempt >= RECONNECTS) throw e;
    }
    if (attempt >= RECONNECTS) throw new Error('the log stream kept dropping; try again');
    await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
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
