import { Command } from 'commander';
import { contextOf } from '../context.js';
import { ago, colors, out, printJson, table } from '../output.js';

interface Event {
  id: string;
  at: string;
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string;
  requestId: string | null;
}

export function eventsCommand(): Command {
  return new Command('events')
    .description('Show the audit trail, newest first')
    .option('--actor <name>')
    .option('--action <action>', 'e.g. run.start')
    .option('--resource-type <type>')
    .option('--resource-id <id>')
    .option('--since <time>', 'ISO-8601')
    .option('--until <time>', 'ISO-8601')
    .option('--limit <n>', 'page size (max 200)', '50')
    .option('--cursor <cursor>', 'next page')
    .action(async (o: Record<string, string>, c: Command) => {
      const { client, json } = contextOf(c);
      const r = await client.json<{ items: Event[]; nextCursor: string | null }>('GET', '/v1/events', { query: o });
      if (json) return printJson(r);
      table(
        ['AT', 'ACTOR', 'ACTION', 'RESOURCE', 'REQUEST'],
        r.items.map((e) => [ago(e.at), e.actor, e.action, `${e.resourceType}/${e.resourceId}`, e.requestId ?? '']),
      );
      if (r.nextCursor) out(colors.dim(`more: --cursor ${r.nextCursor}`));
    });
}
