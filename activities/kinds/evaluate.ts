import { findVersion } from '../../core/registry/models/versions-read.js';
import { parseModelUri } from '../../core/registry/uris.js';
import type { ActivityDeps } from '../deps.js';

export interface ResolveBaselineInput {
  /** The spec's baseline, `models:/name@alias` or `models:/name/N`. */
  uri: string;
}

export type ResolveBaselineOutput =
  { found: true; model: string; version: number; uri: string } | { found: false; reason: string };

/**
 * Pins an evaluate step's baseline to one model version for the whole step, so both the run and any
 * retry of it score the same model. A baseline that does not exist yet (the first run, before any
 * champion) is a normal answer, not an error.
 */
export function resolveBaselineActivity(deps: ActivityDeps) {
  return async function resolveBaseline(i: ResolveBaselineInput): Promise<ResolveBaselineOutput> {
    const ref = parseModelUri(i.uri);
    if (!ref) return { found: false, reason: `${i.uri} is not a model URI` };
    const v = await findVersion(deps.db, ref.name, ref.ref);
    if (!v) return { found: false, reason: `${i.uri} does not exist yet` };
    return { found: true, model: v.model, version: v.version, uri: v.uri };
  };
}
