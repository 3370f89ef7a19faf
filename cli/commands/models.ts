import { Command, InvalidArgumentError, Option } from 'commander';
import { contextOf } from '../context.js';
import { downloadArtifact } from '../download.js';
import { ago, colors, out, printJson, table } from '../output.js';
import { aliasArg, collectList, formatMetrics, formatTags, intArg, listFooter } from '../registry-format.js';
import type { AliasMove, Model, ModelVersion, Page } from '../types.js';

const OPS: Array<[string, string]> = [
  ['>=', 'gte'],
  ['<=', 'lte'],
  ['!=', 'ne'],
  ['>', 'gt'],
  ['<', 'lt'],
  ['=', 'eq'],
];

/** `accuracy>=0.9` → metric, op and value; a bare `accuracy` only orders by it. */
export function parseMetricFilter(s: string): { metric: string; op?: string; value?: string } {
  for (const [sym, op] of OPS) {
    const i = s.indexOf(sym);
    if (i > 0) {
      const value = s.slice(i + sym.length);
      if (!value || Number.isNaN(Number(value))) throw new InvalidArgumentError(`"${value}" is not a number`);
      return { metric: s.slice(0, i), op, value };
    }
  }
  if (!/^[^<>=!]+$/.test(s)) throw new InvalidArgumentError(`expected name, or name>=number (ops: > >= < <= = !=)`);
  return { metric: s };
}

/** `3`, `@champion` or `latest` as a path segment. */
const versionPath = (name: string, ref: string) =>
  `/v1/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(ref)}`;

function printVersion(v: ModelVersion): void {
  out(`${colors.bold(v.uri)}  ${v.status}${v.aliases.length ? `  @${v.aliases.join(' @')}` : ''}`);
  const rows: Array<[string, string]> = [
    ['format', v.format],
    ['artifact', `${v.artifact.uri} (${v.artifact.size} bytes, ${v.artifact.kind})`],
    ['sha256', v.artifact.sha256],
    ['metrics', formatMetrics(v.metrics)],
    [
      'params',
      Object.entries(v.params)
        .map(([k, x]) => `${k}=${JSON.stringify(x)}`)
        .join(' '),
    ],
    ['tags', formatTags(v.tags)],
    ['run', v.lineage.runId ? `${v.lineage.runId} ${v.lineage.stepId}/${v.lineage.output}` : ''],
    ['datasets', v.lineage.datasets.join(' ')],
    ['description', v.description ?? ''],
    ['created', `${ago(v.createdAt)}${v.createdBy ? ` by ${v.createdBy}` : ''}`],
  ];
  for (const [k, val] of rows) if (val) out(`  ${colors.dim(k.padEnd(11))} ${val}`);
}

function aliasCommands(): Command {
  const cmd = new Command('alias').description('Point named aliases (champion, production…) at versions');
  cmd
    .command('set')
    .description('Create or move an alias to a version (atomic; audited with the previous version)')
    .argument('<name>', 'model')
    .argument('<alias>', 'e.g. champion', aliasArg)
    .argument('<version>', 'version number', intArg)
    .addHelpText('after', '\nExample:\n  sluice models alias set churn champion 3')
    .action(async (name: string, alias: string, version: number, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      const r = await client.json<AliasMove>('PUT', `/v1/models/${encodeURIComponent(name)}/aliases/${alias}`, {
        body: { version },
      });
      if (json) return printJson(r);
      const was = r.previousVersion === null ? 'new' : r.changed ? `was v${r.previousVersion}` : 'unchanged';
      out(`${name}@${alias} → v${r.alias.version} (${was})`);
    });
  cmd
    .command('rm')
    .alias('delete')
    .description('Remove an alias (the version stays)')
    .argument('<name>', 'model')
    .argument('<alias>', 'e.g. challenger', aliasArg)
    .addHelpText('after', '\nExample:\n  sluice models alias rm churn challenger')
    .action(async (name: string, alias: string, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      await client.json('DELETE', `/v1/models/${encodeURIComponent(name)}/aliases/${alias}`);
      if (json) printJson({ removed: `${name}@${alias}` });
      else out(`removed ${name}@${alias}`);
    });
  return cmd;
}

export function modelCommands(): Command {
  const cmd = new Command('models')
    .alias('model')
    .description('Browse registered models and their versions, move aliases, download artifacts');

  cmd
    .command('ls')
    .alias('list')
    .description('List models by name')
    .option('--prefix <prefix>', 'names starting with this')
    .option('--tag <key[:value]>', 'only models with this tag (repeatable: all must match)', collectList)
    .option('--alias <alias>', 'only models that have this alias', aliasArg)
    .addOption(new Option('--status <status>').choices(['active', 'archived', 'all']))
    .option('--limit <n>', 'page size (max 200)', '50')
    .option('--cursor <cursor>', 'next page')
    .addHelpText('after', '\nExamples:\n  sluice models ls --prefix churn\n  sluice models ls --alias champion --json')
    .action(async (o: Record<string, string | string[]>, c: Command) => {
      const { client, json } = contextOf(c);
      const r = await client.json<Page<Model>>('GET', '/v1/models', { query: o });
      if (json) return printJson(r);
      table(
        ['NAME', 'LATEST', 'ALIASES', 'STATUS', 'UPDATED', 'DESCRIPTION'],
        r.items.map((m) => [
          m.name,
          m.latestVersion === null ? '-' : `v${m.latestVersion}`,
          Object.entries(m.aliases)
            .map(([a, v]) => `${a}=v${v}`)
            .join(' '),
          m.status,
          ago(m.updatedAt),
          m.description ?? '',
        ]),
      );
      listFooter(r);
    });

  cmd
    .command('get')
    .description('Show a model, or one of its versions')
    .argument('<name>')
    .argument('[version]', 'a number, @alias or latest')
    .addHelpText('after', '\nExamples:\n  sluice models get churn\n  sluice models get churn @champion')
    .action(async (name: string, version: string | undefined, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      if (version) {
        const v = await client.json<ModelVersion>('GET', versionPath(name, version));
        return json ? printJson(v) : printVersion(v);
      }
      const m = await client.json<Model>('GET', `/v1/models/${encodeURIComponent(name)}`);
      if (json) return printJson(m);
      out(`${colors.bold(m.name)}  ${m.status}  latest ${m.latestVersion === null ? '-' : `v${m.latestVersion}`}`);
      if (m.description) out(`  ${m.description}`);
      for (const [a, v] of Object.entries(m.aliases)) out(`  @${a.padEnd(12)} v${v}`);
      if (Object.keys(m.tags).length) out(`  ${colors.dim('tags')} ${formatTags(m.tags)}`);
      out(colors.dim(`  created ${ago(m.createdAt)}${m.createdBy ? ` by ${m.createdBy}` : ''}`));
    });

  cmd
    .command('versions')
    .description("Search a model's versions, newest first")
    .argument('<name>')
    .option('--alias <alias>', 'the version holding this alias', aliasArg)
    .option('--tag <key[:value]>', 'only versions with this tag (repeatable: all must match)', collectList)
    .option(
      '--metric <filter>',
      'metric filter, e.g. "accuracy>=0.9"; a bare name keeps versions that have it',
      parseMetricFilter,
    )
    .addOption(
      new Option('--order <order>', 'metric_* need --metric').choices([
        'newest',
        'oldest',
        'metric_desc',
        'metric_asc',
      ]),
    )
    .addOption(new Option('--status <status>').choices(['registered', 'archived', 'all']))
    .option('--limit <n>', 'page size (max 200)', '50')
    .option('--cursor <cursor>', 'next page')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice models versions churn --metric "auc>0.8" --order metric_desc\n  sluice models versions churn --tag stage:prod --status all',
    )
    .action(
      async (
        name: string,
        o: { metric?: ReturnType<typeof parseMetricFilter> } & Record<string, unknown>,
        c: Command,
      ) => {
        const { client, json } = contextOf(c);
        const { metric, ...rest } = o;
        const r = await client.json<Page<ModelVersion>>('GET', `/v1/models/${encodeURIComponent(name)}/versions`, {
          query: { ...(rest as Record<string, string | string[]>), ...metric },
        });
        if (json) return printJson(r);
        table(
          ['VERSION', 'STATUS', 'ALIASES', 'FORMAT', 'METRICS', 'CREATED'],
          r.items.map((v) => [
            `v${v.version}`,
            v.status,
            v.aliases.map((a) => `@${a}`).join(' '),
            v.format,
            formatMetrics(v.metrics),
            ago(v.createdAt),
          ]),
        );
        listFooter(r);
      },
    );

  cmd.addCommand(aliasCommands());

  cmd
    .command('archive')
    .description('Archive a version: it stays resolvable by number but takes no alias')
    .argument('<name>')
    .argument('<version>', 'version number', intArg)
    .option('--force', 'also remove the aliases pointing to it (else refused while any do)')
    .addHelpText('after', '\nExample:\n  sluice models archive churn 2')
    .action(async (name: string, version: number, o: { force?: boolean }, c: Command) => {
      const { client, json } = contextOf(c);
      const v = await client.json<ModelVersion>('POST', `${versionPath(name, String(version))}/archive`, {
        query: { force: o.force },
      });
      if (json) printJson(v);
      else out(`archived ${v.uri}`);
    });

  cmd
    .command('download')
    .description("Download a version's artifact; its sha256 is checked before the file is written")
    .argument('<name>')
    .argument('<version>', 'a number, @alias or latest')
    .option('-o, --output <file>', 'where to write it (default: the name the API suggests, e.g. churn-v3.pkl)')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice models download churn @champion\n  sluice models download churn 3 -o model.pkl',
    )
    .action(async (name: string, version: string, o: { output?: string }, c: Command) => {
      const { client, json } = contextOf(c);
      const d = await downloadArtifact(client, `${versionPath(name, version)}/artifact`, o.output);
      if (json) printJson(d);
      else out(`${d.file}  ${d.size} bytes  sha256 ${d.sha256} ${colors.green('verified')}`);
    });
  return cmd;
}
