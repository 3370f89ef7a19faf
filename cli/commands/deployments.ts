import { Command, InvalidArgumentError } from 'commander';
import { readFile } from 'node:fs/promises';
import { contextOf } from '../context.js';
import type { ApiClient } from '../client.js';
import { ago, colors, err, out, printJson, status, table } from '../output.js';

interface Rollout {
  id: string;
  kind: string;
  fromVersion: number | null;
  toVersion: number;
  status: string;
  reason: string | null;
  timeline: Array<{ at: string; step: string; detail?: string }>;
  startedAt: string;
  finishedAt: string | null;
}
interface Applied {
  name: string;
  created: boolean;
  rolloutId: string | null;
  noop?: string;
}

const POLL_MS = 1_000;

/** Prints the rollout's timeline as it grows until it finishes; exit code 1 unless it succeeded. */
async function follow(client: ApiClient, name: string, id: string, json: boolean): Promise<void> {
  let shown = 0;
  for (;;) {
    const { items } = await client.json<{ items: Rollout[] }>('GET', `/v1/deployments/${name}/rollouts`);
    const r = items.find((x) => x.id === id);
    if (r && !json) {
      for (const t of r.timeline.slice(shown))
        out(`${ago(t.at)}  ${t.step}${t.detail ? colors.dim(`  ${t.detail}`) : ''}`);
      shown = r.timeline.length;
    }
    if (r && r.status !== 'running') {
      if (json) printJson(r);
      else out(`${status(r.status)}${r.reason ? `: ${r.reason}` : ''}`);
      if (r.status !== 'succeeded') process.exitCode = 1;
      return;
    }
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
}

function applied(a: Applied, json: boolean): void {
  if (json) return printJson(a);
  out(`${a.created ? 'created' : 'updated'} deployment ${colors.bold(a.name)}`);
  out(a.rolloutId ? `rollout ${a.rolloutId} started` : `no rollout: ${a.noop ?? 'nothing to do'}`);
}

export function deployCommand(): Command {
  return new Command('deploy')
    .description('Create or update a deployment from its spec and (with --model) roll out a model version')
    .requiredOption('-f, --file <spec>', 'the deployment spec (YAML or JSON)')
    .option('--model <ref>', 'the version to serve: models:/<model>@<alias>, models:/<model>/<n>, @alias or a number')
    .option('--wait', 'follow the rollout until it ends (exit code 1 unless it succeeded)')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice deploy -f deploy/wine.yaml --model models:/wine@champion --wait\n  sluice deploy -f deploy/wine.yaml            # only update the spec',
    )
    .action(async (o: { file: string; model?: string; wait?: boolean }, c: Command) => {
      const { client, json } = contextOf(c);
      const spec = await readFile(o.file, 'utf8');
      const version = o.model && /^\d+$/.test(o.model) ? Number(o.model) : o.model;
      const a = await client.json<Applied>('POST', '/v1/deployments', {
        body: { spec, ...(version !== undefined ? { version } : {}) },
      });
      if (!(o.wait && json)) applied(a, json);
      if (o.wait && a.rolloutId) await follow(client, a.name, a.rolloutId, json);
    });
}

const positive = (v: string) => {
  if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError('expected a positive integer');
  return Number(v);
};

export function deploymentCommands(): Command {
  const cmd = new Command('deployments')
    .alias('deployment')
    .description('Deployments: what serves, their rollouts (with reasons), rollbacks and server logs');
  cmd
    .command('list')
    .description('List deployments')
    .action(async (_o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      const { items } = await client.json<{ items: Array<{ name: string; model: string; updatedAt: string }> }>(
        'GET',
        '/v1/deployments',
      );
      if (json) return printJson(items);
      table(
        ['NAME', 'MODEL', 'UPDATED'],
        items.map((d) => [d.name, d.model, ago(d.updatedAt)]),
      );
    });
  cmd
    .command('status')
    .description('What serves now and before, the traffic routes and the rollout under way')
    .argument('<name>')
    .action(async (name: string, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      const d = await client.json<{
        name: string;
        model: string;
        current: { version: number; url: string } | null;
        previous: { version: number } | null;
        routes: Array<{ version: number; url: string; weight: number }>;
        active: { id: string; kind: string; toVersion: number; phase: string } | null;
        workflow: string;
      }>('GET', `/v1/deployments/${name}`);
      if (json) return printJson(d);
      out(`${colors.bold(d.name)}  model ${d.model}  workflow ${d.workflow}`);
      out(`  serving: ${d.current ? `v${d.current.version} at ${d.current.url}` : 'nothing'}`);
      out(`  previous: ${d.previous ? `v${d.previous.version}` : '-'}`);
      for (const r of d.routes) out(`  route: v${r.version} ${r.weight}% -> ${r.url}`);
      if (d.active) out(`  rollout ${d.active.id}: ${d.active.kind} to v${d.active.toVersion}, ${d.active.phase}`);
    });
  cmd
    .command('rollouts')
    .description('Rollouts, newest first, with their outcome and reason')
    .argument('<name>')
    .action(async (name: string, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      const { items } = await client.json<{ items: Rollout[] }>('GET', `/v1/deployments/${name}/rollouts`);
      if (json) return printJson(items);
      table(
        ['ID', 'KIND', 'FROM', 'TO', 'STATUS', 'STARTED', 'REASON'],
        items.map((r) => [
          r.id,
          r.kind,
          r.fromVersion === null ? '-' : String(r.fromVersion),
          String(r.toVersion),
          r.status,
          ago(r.startedAt),
          r.reason ?? '',
        ]),
        { 4: status },
      );
    });
  cmd
    .command('rollback')
    .description('Return to the previous version through the same health-gated rollout')
    .argument('<name>')
    .option('--wait', 'follow the rollout until it ends (exit code 1 unless it succeeded)')
    .action(async (name: string, o: { wait?: boolean }, c: Command) => {
      const { client, json } = contextOf(c);
      const a = await client.json<Applied>('POST', `/v1/deployments/${name}/rollback`);
      if (!(o.wait && json)) applied(a, json);
      if (o.wait && a.rolloutId) await follow(client, name, a.rolloutId, json);
    });
  cmd
    .command('delete')
    .description('Delete a deployment: stop routing to it, stop its servers and its drift monitor (history stays)')
    .argument('<name>')
    .action(async (name: string, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      const d = await client.json<{ name: string; stopped: number[] }>('DELETE', `/v1/deployments/${name}`);
      if (json) out(JSON.stringify(d));
      else
        out(
          `deleted deployment ${d.name}${d.stopped.length ? ` (stopped version${d.stopped.length > 1 ? 's' : ''} ${d.stopped.join(', ')})` : ''}`,
        );
    });
  cmd
    .command('logs')
    .description("The last lines of the serving instances' logs")
    .argument('<name>')
    .option('--version <n>', 'only this model version', positive)
    .option('--tail <n>', 'lines per instance (default 200)', positive)
    .action(async (name: string, o: { version?: number; tail?: number }, c: Command) => {
      const { client, json } = contextOf(c);
      const r = await client.json<{ instances: Array<{ version: number; lines: string[] }> }>(
        'GET',
        `/v1/deployments/${name}/logs`,
        { query: { version: o.version, tail: o.tail } },
      );
      if (json) return printJson(r);
      if (!r.instances.length) err(`no instance logs of ${name} on the API's machine`);
      for (const i of r.instances) {
        out(colors.bold(`== v${i.version}`));
        for (const l of i.lines) out(l);
      }
    });
  return cmd;
}
