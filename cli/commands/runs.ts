import { Command, Option } from 'commander';
import { collectParam, contextOf } from '../context.js';
import { followRun, printFailedSteps, printOutcome } from '../follow.js';
import { ago, colors, duration, out, printJson, status, table } from '../output.js';
import { RUN_OUTCOMES, RUN_STATUSES, isActiveRun, type RunView } from '../types.js';

/** Shared by `run --follow`, `runs retry --follow`: exit 1 unless the run succeeded. */
async function startAndMaybeFollow(c: Command, started: RunView, follow: boolean): Promise<void> {
  const { client, json } = contextOf(c);
  if (!follow) {
    if (json) printJson(started);
    else out(`started run ${colors.bold(started.id)} (${started.pipeline} v${started.version})`);
    return;
  }
  if (!json)
    out(
      `run ${colors.bold(started.id)} of ${started.pipeline} v${started.version} ${colors.dim('(Ctrl-C stops following, not the run)')}`,
    );
  const run = await followRun(client, started.id, json);
  if (json) printJson(run);
  else {
    printOutcome(run);
    await printFailedSteps(client, run);
  }
  if (run.status !== 'succeeded') process.exitCode = 1;
}

export function runCommand(): Command {
  return new Command('run')
    .description('Start a run of a pipeline')
    .argument('<pipeline>')
    .option('-p, --param <key=value>', 'a pipeline param (repeatable)', collectParam)
    .option('--version <n>', 'pin a pipeline version (default: latest)')
    .option('--idempotency-key <key>', 'retrying with the same key returns the same run instead of starting another')
    .option('--no-cache', 'run every step even when a cached result exists')
    .option('-f, --follow', "show each step's progress until the run ends; exit 1 unless it succeeds")
    .action(
      async (
        pipeline: string,
        o: {
          param?: Record<string, string>;
          version?: string;
          idempotencyKey?: string;
          cache: boolean;
          follow?: boolean;
        },
        c: Command,
      ) => {
        const { client } = contextOf(c);
        const started = await client.json<RunView>('POST', `/v1/pipelines/${pipeline}/runs`, {
          body: {
            params: o.param ?? {},
            ...(o.version ? { version: Number(o.version) } : {}),
            ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
            ...(o.cache === false ? { cache: false } : {}),
          },
        });
        await startAndMaybeFollow(c, started, Boolean(o.follow));
      },
    );
}

export function runsCommands(): Command {
  const cmd = new Command('runs').description('List, inspect, cancel and retry runs');

  cmd
    .command('ls')
    .alias('list')
    .description('List runs, newest first')
    .option('--pipeline <name>')
    .option('--trigger <trigger>', 'api, retry, schedule or drift')
    .addOption(new Option('--status <status>').choices(RUN_STATUSES))
    .addOption(new Option('--outcome <outcome>', 'what the run decided').choices(RUN_OUTCOMES))
    .option('--since <time>', 'ISO-8601')
    .option('--until <time>', 'ISO-8601')
    .option('--limit <n>', 'page size (max 200)', '20')
    .option('--cursor <cursor>', 'next page')
    .action(async (o: Record<string, string>, c: Command) => {
      const { client, json } = contextOf(c);
      const r = await client.json<{ items: RunView[]; nextCursor: string | null }>('GET', '/v1/runs', { query: o });
      if (json) return printJson(r);
      table(
        ['ID', 'PIPELINE', 'VERSION', 'STATUS', 'OUTCOME', 'TRIGGER', 'CREATED'],
        r.items.map((x) => [
          x.id,
          x.pipeline,
          String(x.version),
          x.status,
          x.outcome ?? '',
          x.trigger,
          ago(x.createdAt),
        ]),
        { 3: status },
      );
      if (r.nextCursor) out(colors.dim(`more: --cursor ${r.nextCursor}`));
    });

  cmd
    .command('get')
    .description('Show a run and its steps')
    .argument('<run>')
    .action(async (id: string, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      const run = await client.json<RunView>('GET', `/v1/runs/${id}`);
      if (json) return printJson(run);
      printOutcome(run);
      out(
        colors.dim(
          `${run.pipeline} v${run.version}, ${run.trigger}, created ${ago(run.createdAt)}${run.retryOf ? `, retry of ${run.retryOf}` : ''}`,
        ),
      );
      table(
        ['STEP', 'STATUS', 'ATTEMPT', 'DURATION', 'NOTE'],
        run.steps.map((s) => [
          s.id,
          s.status,
          String(s.attempt),
          duration(s.durationMs),
          s.error?.split('\n')[0] ?? (s.cachedFromRun ? `from ${s.cachedFromRun}` : ''),
        ]),
        { 1: status },
      );
    });

  cmd
    .command('cancel')
    .description('Cancel a pending or running run')
    .argument('<run>')
    .action(async (id: string, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      const run = await client.json<RunView>('POST', `/v1/runs/${id}/cancel`);
      if (json) printJson(run);
      else out(`cancelling ${id}${isActiveRun(run.status) ? ' (its steps are being stopped)' : ''}`);
    });

  cmd
    .command('retry')
    .description('Retry a failed or cancelled run from its failed step, reusing finished steps')
    .argument('<run>')
    .option('-f, --follow', 'follow the new run; exit 1 unless it succeeds')
    .action(async (id: string, o: { follow?: boolean }, c: Command) => {
      const { client } = contextOf(c);
      const started = await client.json<RunView>('POST', `/v1/runs/${id}/retry`);
      await startAndMaybeFollow(c, started, Boolean(o.follow));
    });
  return cmd;
}
