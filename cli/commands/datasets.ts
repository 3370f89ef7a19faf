import { Command } from 'commander';
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { collectParam, contextOf } from '../context.js';
import { ago, colors, out, printJson, table } from '../output.js';
import { collectList, formatNumber, formatTags, intArg, listFooter } from '../registry-format.js';
import type { ColumnStats, Dataset, DatasetStats, DatasetVersion, Page } from '../types.js';

const datasetPath = (name: string) => `/v1/datasets/${encodeURIComponent(name)}`;

/** What a column's values look like, in one cell: range and mean for numbers, top values for the rest. */
function summary(c: ColumnStats): string {
  if (c.min !== undefined && c.max !== undefined)
    return `${formatNumber(c.min)}..${formatNumber(c.max)}  mean ${formatNumber(c.mean)}  std ${formatNumber(c.std)}`;
  if (c.trueCount !== undefined) return `true ${c.trueCount} / ${c.count}`;
  if (c.topValues?.length)
    return c.topValues
      .slice(0, 3)
      .map((t) => `${t.value} (${t.count})`)
      .join(', ');
  return '';
}

function versionRows(items: DatasetVersion[]): string[][] {
  return items.map((v) => [
    `v${v.version}`,
    v.rowCount === null ? '' : String(v.rowCount),
    v.format,
    v.artifact.sha256.slice(0, 12),
    v.lineage.runId ? `${v.lineage.runId} ${v.lineage.stepId}` : (v.sourceUri ?? 'upload'),
    ago(v.createdAt),
  ]);
}
const VERSION_HEADER = ['VERSION', 'ROWS', 'FORMAT', 'SHA256', 'SOURCE', 'CREATED'];

export function datasetCommands(): Command {
  const cmd = new Command('datasets')
    .alias('dataset')
    .description('Browse datasets and their versions, see column statistics, ingest a file');

  cmd
    .command('ls')
    .alias('list')
    .description('List datasets by name')
    .option('--prefix <prefix>', 'names starting with this')
    .option('--tag <key[:value]>', 'only datasets with this tag (repeatable: all must match)', collectList)
    .option('--limit <n>', 'page size (max 200)', '50')
    .option('--cursor <cursor>', 'next page')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice datasets ls --prefix churn\n  sluice datasets ls --tag team:risk --json',
    )
    .action(async (o: Record<string, string | string[]>, c: Command) => {
      const { client, json } = contextOf(c);
      const r = await client.json<Page<Dataset>>('GET', '/v1/datasets', { query: o });
      if (json) return printJson(r);
      table(
        ['NAME', 'LATEST', 'UPDATED', 'DESCRIPTION'],
        r.items.map((d) => [
          d.name,
          d.latestVersion === null ? '-' : `v${d.latestVersion}`,
          ago(d.updatedAt),
          d.description ?? '',
        ]),
      );
      listFooter(r);
    });

  cmd
    .command('get')
    .description('Show a dataset and its versions, or one version (number or latest)')
    .argument('<name>')
    .argument('[version]', 'a number or latest')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice datasets get churn-data\n  sluice datasets get churn-data latest --json',
    )
    .action(async (name: string, version: string | undefined, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      if (version) {
        const v = await client.json<DatasetVersion>(
          'GET',
          `${datasetPath(name)}/versions/${encodeURIComponent(version)}`,
        );
        if (json) return printJson(v);
        out(`${colors.bold(v.uri)}  ${v.format}  ${v.rowCount ?? '?'} rows  ${v.artifact.size} bytes`);
        out(`  ${colors.dim('sha256')}  ${v.artifact.sha256}`);
        if (v.schema) out(`  ${colors.dim('columns')} ${v.schema.columns.map((x) => `${x.name}:${x.type}`).join(' ')}`);
        if (v.description) out(`  ${v.description}`);
        return;
      }
      const d = await client.json<Dataset>('GET', datasetPath(name));
      const versions = await client.json<Page<DatasetVersion>>('GET', `${datasetPath(name)}/versions`);
      if (json) return printJson({ ...d, versions: versions.items });
      out(`${colors.bold(d.name)}  latest ${d.latestVersion === null ? '-' : `v${d.latestVersion}`}`);
      if (d.description) out(`  ${d.description}`);
      if (Object.keys(d.tags).length) out(`  ${colors.dim('tags')} ${formatTags(d.tags)}`);
      out();
      table(VERSION_HEADER, versionRows(versions.items));
      listFooter(versions);
    });

  cmd
    .command('stats')
    .description('Row count and per-column statistics of a version (default: the latest)')
    .argument('<name>')
    .argument('[version]', 'version number', intArg)
    .addHelpText(
      'after',
      '\nExamples:\n  sluice datasets stats churn-data\n  sluice datasets stats churn-data 2 --json',
    )
    .action(async (name: string, version: number | undefined, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      const n = version ?? (await client.json<DatasetVersion>('GET', `${datasetPath(name)}/versions/latest`)).version;
      const s = await client.json<DatasetStats>('GET', `${datasetPath(name)}/versions/${n}/stats`);
      if (json) return printJson(s);
      out(`${colors.bold(`datasets:/${name}/${n}`)}  ${s.rowCount} rows`);
      table(
        ['COLUMN', 'TYPE', 'COUNT', 'NULLS', 'DISTINCT', 'VALUES'],
        s.columns.map((x) => [
          x.name,
          x.type,
          String(x.count),
          String(x.nulls),
          `${x.distinct}${x.distinctCapped ? '+' : ''}`,
          summary(x),
        ]),
      );
    });

  cmd
    .command('ingest')
    .description('Upload a file as a new version of a dataset (created if new); a CSV is profiled while streaming')
    .argument('<name>')
    .requiredOption('-f, --file <path>', 'the data file, streamed (e.g. a CSV)')
    .option('--description <text>')
    .option('--format <format>', 'csv, parquet…; inferred from the file name when absent')
    .option('--source-uri <uri>', 'where the data came from, e.g. a warehouse table')
    .option('--tag <key=value>', 'a tag (repeatable)', collectParam)
    .option('--idempotency-key <key>', 'retrying with the same key returns the first version instead of adding one')
    .addHelpText(
      'after',
      '\nExamples:\n  sluice datasets ingest churn-data -f churn.csv --description "March export"\n  sluice datasets ingest churn-data -f churn.csv --tag team=risk --json',
    )
    .action(
      async (
        name: string,
        o: {
          file: string;
          description?: string;
          format?: string;
          sourceUri?: string;
          tag?: Record<string, string>;
          idempotencyKey?: string;
        },
        c: Command,
      ) => {
        const { client, json } = contextOf(c);
        const metadata = {
          ...(o.description !== undefined ? { description: o.description } : {}),
          ...(o.format ? { format: o.format } : {}),
          ...(o.sourceUri ? { sourceUri: o.sourceUri } : {}),
          ...(o.tag ? { tags: o.tag } : {}),
          ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
        };
        const form = new FormData();
        form.append('metadata', JSON.stringify(metadata));
        form.append('file', await openAsBlob(o.file), basename(o.file));
        const res = await client.send('POST', `${datasetPath(name)}/versions/upload`, { form });
        const v = (await res.json()) as DatasetVersion;
        if (json) return printJson(v);
        if (res.status === 201)
          out(`${colors.green('ingested')} ${v.uri}${v.rowCount === null ? '' : ` (${v.rowCount} rows)`}`);
        else out(`${colors.dim('unchanged')} already ingested with this idempotency key as ${v.uri}`);
      },
    );
  return cmd;
}
