import { Command } from 'commander';
import { collectParam, contextOf } from '../context.js';
import { ago, colors, out, printJson, status, table } from '../output.js';

interface Schedule {
  name: string;
  scheduleId: string;
  pipeline: string;
  version: number;
  params: Record<string, unknown>;
  cron?: string;
  every?: string;
  timezone?: string;
  paused: boolean;
  note: string | null;
  nextRunTimes: string[];
  recentRuns: { workflowId: string; scheduledAt: string; runId: string | null; status: string | null }[];
}

const cadence = (s: Schedule) =>
  s.cron ? `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}` : `every ${s.every}`;

function show(s: Schedule): void {
  out(
    `${colors.bold(s.name)}  ${s.pipeline} v${s.version}  ${cadence(s)}  ${s.paused ? colors.yellow('paused') : colors.green('active')}${s.note ? colors.dim(`  (${s.note})`) : ''}`,
  );
  out(`  params: ${JSON.stringify(s.params)}   temporal schedule: ${s.scheduleId}`);
  if (s.nextRunTimes.length) out(`  next: ${s.nextRunTimes.slice(0, 3).map(ago).join(', ')}`);
  for (const r of s.recentRuns)
    out(`  ran ${ago(r.scheduledAt)}  ${r.runId ?? r.workflowId}  ${r.status ? status(r.status) : ''}`);
}

export function scheduleCommands(): Command {
  const cmd = new Command('schedules')
    .alias('schedule')
    .description('Run pipelines on a cron or an interval (Temporal Schedules)');
  const one = (verb: string, description: string, method: string, suffix = '') =>
    cmd
      .command(verb)
      .description(description)
      .argument('<name>')
      .action(async (name: string, _o: unknown, c: Command) => {
        const { client, json } = contextOf(c);
        const r = await client.json<Schedule | null>(method, `/v1/schedules/${name}${suffix}`);
        if (json) printJson(r ?? { name, done: verb });
        else if (r && 'scheduleId' in r) show(r);
        else out(`${verb}: ${name}`);
      });

  cmd
    .command('create')
    .description('Create a schedule for a pipeline')
    .argument('<name>', 'schedule name ([a-z0-9-])')
    .requiredOption('--pipeline <name>')
    .option('--cron <expr>', 'five-field cron, e.g. "0 3 * * *", or @daily')
    .option('--every <interval>', 'an interval such as 30m or 6h (instead of --cron)')
    .option('--timezone <tz>', 'IANA time zone for --cron (default UTC)')
    .option('-p, --param <key=value>', 'a pipeline param (repeatable)', collectParam)
    .option('--version <n>', 'pin a pipeline version (default: the latest, pinned now)')
    .option('--paused', 'create it paused')
    .action(
      async (
        name: string,
        o: {
          pipeline: string;
          cron?: string;
          every?: string;
          timezone?: string;
          param?: Record<string, string>;
          version?: string;
          paused?: boolean;
        },
        c: Command,
      ) => {
        const { client, json } = contextOf(c);
        const s = await client.json<Schedule>('POST', '/v1/schedules', {
          body: {
            name,
            pipeline: o.pipeline,
            params: o.param ?? {},
            ...(o.cron ? { cron: o.cron } : {}),
            ...(o.every ? { every: o.every } : {}),
            ...(o.timezone ? { timezone: o.timezone } : {}),
            ...(o.version ? { version: Number(o.version) } : {}),
            ...(o.paused ? { paused: true } : {}),
          },
        });
        if (json) printJson(s);
        else show(s);
      },
    );

  cmd
    .command('ls')
    .alias('list')
    .description('List schedules')
    .option('--pipeline <name>')
    .action(async (o: { pipeline?: string }, c: Command) => {
      const { client, json } = contextOf(c);
      const r = await client.json<{ items: Schedule[] }>('GET', '/v1/schedules', { query: o });
      if (json) return printJson(r);
      table(
        ['NAME', 'PIPELINE', 'CADENCE', 'STATE', 'NEXT RUN'],
        r.items.map((s) => [
          s.name,
          `${s.pipeline} v${s.version}`,
          cadence(s),
          s.paused ? 'paused' : 'active',
          ago(s.nextRunTimes[0] ?? null),
        ]),
      );
    });

  one('get', 'Show a schedule, its next run times and recent runs', 'GET');
  one('pause', 'Pause a schedule', 'POST', '/pause');
  one('resume', 'Resume a paused schedule', 'POST', '/resume');
  one('trigger', 'Start a run of the schedule now', 'POST', '/trigger');
  one('delete', 'Delete a schedule (admin)', 'DELETE');
  return cmd;
}
