import { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { SpecWithCode } from '../../core/code/spec-code.js';
import { resolveCode } from '../code-package.js';
import { contextOf } from '../context.js';
import { ago, colors, out, printJson, table } from '../output.js';

interface Applied {
  pipeline: string;
  version: number;
  latestVersion: number;
  created: boolean;
  digest: string;
}
interface Summary {
  name: string;
  latestVersion: number;
  description: string | null;
  updatedAt: string;
}
interface Validated {
  valid: boolean;
  errors: { path: string; message: string }[];
  digest: string | null;
}

const codeSummary = (p: NonNullable<SpecWithCode['packed']>) => ({
  dir: p.dir,
  digest: p.digest,
  files: p.files,
  size: p.size,
  created: p.created,
});

async function readSpec(file: string): Promise<string> {
  return file === '-'
    ? new Promise((res, rej) => {
        let data = '';
        process.stdin
          .setEncoding('utf8')
          .on('data', (c) => {
            data += c;
          })
          .on('end', () => res(data))
          .on('error', rej);
      })
    : readFile(file, 'utf8');
}

export function pipelineCommands(): Command {
  const cmd = new Command('pipelines').alias('pipeline').description('Create, inspect and delete pipelines');

  cmd
    .command('apply')
    .description(
      'Create or update a pipeline from a YAML or JSON spec file (a new version only when it changed); ' +
        'a `code:` directory is packed (minus .sluiceignore) and uploaded',
    )
    .requiredOption('-f, --file <path>', 'spec file, or - for stdin')
    .action(async (o: { file: string }, c: Command) => {
      const { client, json } = contextOf(c);
      const { text, packed } = await resolveCode(await readSpec(o.file), o.file, client, { upload: true });
      const r = await client.json<Applied>('POST', '/v1/pipelines', { raw: { body: text, type: 'application/yaml' } });
      if (json) return printJson(packed ? { ...r, code: codeSummary(packed) } : r);
      if (packed)
        out(
          `${colors.dim('code')} ${relative(process.cwd(), packed.dir) || '.'}: ${packed.files} files, ${packed.size} bytes, ` +
            `${packed.digest.slice(0, 19)} ${colors.dim(packed.created ? '(uploaded)' : '(already stored)')}`,
        );
      if (r.created) out(`${colors.green('applied')} ${r.pipeline} version ${r.version}`);
      else
        out(
          `${colors.dim('unchanged')} ${r.pipeline}: identical to version ${r.version}${r.version === r.latestVersion ? '' : ` (latest is ${r.latestVersion})`}`,
        );
    });

  cmd
    .command('validate')
    .description('Check a spec file without saving it; exits 1 when it is invalid')
    .requiredOption('-f, --file <path>', 'spec file, or - for stdin')
    .action(async (o: { file: string }, c: Command) => {
      const { client, json } = contextOf(c);
      const { text } = await resolveCode(await readSpec(o.file), o.file, client, { upload: false });
      const r = await client.json<Validated>('POST', '/v1/pipelines/validate', {
        raw: { body: text, type: 'application/yaml' },
      });
      if (json) printJson(r);
      else if (r.valid) out(`${colors.green('valid')} (digest ${r.digest!.slice(0, 12)})`);
      else for (const e of r.errors) out(`${colors.red('invalid')} ${colors.bold(e.path)}: ${e.message}`);
      if (!r.valid) process.exitCode = 1;
    });

  cmd
    .command('ls')
    .alias('list')
    .description('List pipelines')
    .option('--limit <n>', 'page size (max 200)', '200')
    .option('--cursor <cursor>', 'next page')
    .action(async (o: { limit: string; cursor?: string }, c: Command) => {
      const { client, json } = contextOf(c);
      const r = await client.json<{ items: Summary[]; nextCursor: string | null }>('GET', '/v1/pipelines', {
        query: o,
      });
      if (json) return printJson(r);
      table(
        ['NAME', 'VERSION', 'UPDATED', 'DESCRIPTION'],
        r.items.map((p) => [p.name, String(p.latestVersion), ago(p.updatedAt), p.description ?? '']),
      );
      if (r.nextCursor) out(colors.dim(`more: --cursor ${r.nextCursor}`));
    });

  cmd
    .command('get')
    .description('Show a pipeline (latest version, or --version) as YAML-ish JSON')
    .argument('<name>')
    .option('--version <n>', 'a pinned version')
    .action(async (name: string, o: { version?: string }, c: Command) => {
      const { client } = contextOf(c);
      const path = o.version ? `/v1/pipelines/${name}/versions/${o.version}` : `/v1/pipelines/${name}`;
      printJson(await client.json('GET', path));
    });

  cmd
    .command('delete')
    .description('Delete a pipeline and its versions (admin)')
    .argument('<name>')
    .action(async (name: string, _o: unknown, c: Command) => {
      const { client, json } = contextOf(c);
      await client.json('DELETE', `/v1/pipelines/${name}`);
      if (json) printJson({ deleted: name });
      else out(`deleted ${name}`);
    });
  return cmd;
}
