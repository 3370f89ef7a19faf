import { Command, InvalidArgumentError, Option } from 'commander';
import { DATASET_URI_HINT, MODEL_URI_HINT, parseDatasetUri, parseModelUri } from '../../core/registry/uris.js';
import { contextOf } from '../context.js';
import { lineageTree } from '../lineage-tree.js';
import { out, printJson } from '../output.js';
import { intArg } from '../registry-format.js';
import type { LineageGraph } from '../types.js';

const DIRECTIONS = { up: 'upstream', down: 'downstream', both: 'both' } as const;

/** The API route of a target: a model or dataset version URI, else a run id. */
export function lineagePath(target: string): string {
  const enc = encodeURIComponent;
  if (target.startsWith('models:/')) {
    const m = parseModelUri(target);
    if (!m) throw new InvalidArgumentError(`"${target}" is not ${MODEL_URI_HINT}`);
    const ref = 'version' in m.ref ? String(m.ref.version) : `@${m.ref.alias}`;
    return `/v1/lineage/models/${enc(m.name)}/versions/${enc(ref)}`;
  }
  if (target.startsWith('datasets:/')) {
    const d = parseDatasetUri(target);
    if (!d) throw new InvalidArgumentError(`"${target}" is not ${DATASET_URI_HINT}`);
    const ref = 'version' in d.ref ? String(d.ref.version) : 'latest';
    return `/v1/lineage/datasets/${enc(d.name)}/versions/${ref}`;
  }
  return `/v1/lineage/runs/${enc(target)}`;
}

export function lineageCommand(): Command {
  return new Command('lineage')
    .description('Show where a model version, dataset version or run came from and what came of it, as a tree')
    .argument('<target>', `${MODEL_URI_HINT}, ${DATASET_URI_HINT}, or a run id`, lineagePath)
    .addOption(
      new Option('--direction <direction>', 'up: its sources, down: what used it')
        .choices(Object.keys(DIRECTIONS))
        .default('both'),
    )
    .option('--depth <n>', 'hops from the target (max 10)', intArg, 3)
    .addHelpText(
      'after',
      '\nExamples:\n  sluice lineage models:/churn@champion --direction up\n  sluice lineage datasets:/churn-data/2 --direction down --depth 5\n  sluice lineage churn-train-20260101120000-ab12',
    )
    .action(async (path: string, o: { direction: keyof typeof DIRECTIONS; depth: number }, c: Command) => {
      const { client, json } = contextOf(c);
      const g = await client.json<LineageGraph>('GET', path, {
        query: { direction: DIRECTIONS[o.direction], depth: o.depth },
      });
      if (json) return printJson(g);
      for (const line of lineageTree(g)) out(line);
    });
}
