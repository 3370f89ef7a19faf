import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { ArtifactStore } from '../core/artifacts/store.js';
import { storeCodePackage } from '../core/code/packages.js';
import { packSpecCode } from '../core/code/spec-code.js';
import type { Db } from '../core/db/connect.js';
import { applyPipeline, checkPipeline } from '../core/pipeline/service.js';
import { getPipeline } from '../core/pipeline/versions.js';

/** The bundled examples, beside this repository's code. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../examples/pipelines/', import.meta.url));
/** Which example the start-up hint runs, in order of preference. */
const SHOWCASE = ['lifecycle', 'train-sklearn'];
const ACTOR = { actor: 'system:examples' };

export interface BundledExamples {
  applied: string[];
  /** The pipelines the examples define (applied now or earlier). */
  names: string[];
  /** The example to suggest running, when there is one. */
  showcase?: string;
}

/**
 * Applies each bundled example pipeline (its code package included) that is not stored yet, so a
 * fresh `npm start` can run them at once; one a user deleted comes back on the next start. A
 * broken example is reported and skipped: it must not keep the stack from starting.
 */
export async function applyBundledExamples(
  deps: { db: Db; artifacts: ArtifactStore },
  say: (message: string) => void,
  dir = EXAMPLES_DIR,
): Promise<BundledExamples> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/.test(f)).sort();
  const result: BundledExamples = { applied: [], names: [] };
  for (const file of files) {
    try {
      const raw = await readFile(join(dir, file), 'utf8');
      const name = (parseYaml(raw) as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') throw new Error('no pipeline name');
      result.names.push(name);
      if (await getPipeline(deps.db, name)) continue;
      const { text } = await packSpecCode(raw, dirname(join(dir, file)), (tar) => storeCodePackage(deps, ACTOR, tar));
      const checked = checkPipeline(text);
      if (!checked.ok) throw new Error(`${checked.errors[0]!.path}: ${checked.errors[0]!.message}`);
      const saved = await applyPipeline(deps.db, ACTOR, checked.spec);
      if (saved.created) result.applied.push(name);
    } catch (err) {
      say(`example ${file} was not applied: ${(err as Error).message}`);
    }
  }
  result.showcase = SHOWCASE.find((n) => result.names.includes(n)) ?? result.names[0];
  return result;
}
