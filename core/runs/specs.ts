import type { Db } from '../db/connect.js';
import { getPipelineVersion, getSpecByDigest } from '../pipeline/versions.js';
import { NotFoundError } from '../errors.js';
import { parsePipelineSpec, type PipelineSpec } from '../pipeline/index.js';

const MAX_ENTRIES = 500;

/**
 * Parsed specs by content digest. A digest names one spec forever, so entries never go stale,
 * even when a pipeline is deleted and re-created with the same version numbers.
 */
export class SpecCache {
  private readonly byDigest = new Map<string, PipelineSpec>();

  constructor(private readonly db: Db) {}

  /** The pinned version (latest when undefined), parsed; NotFoundError when missing. */
  async version(pipeline: string, version?: number): Promise<{ version: number; digest: string; spec: PipelineSpec }> {
    const row = await getPipelineVersion(this.db, pipeline, version);
    if (!row)
      throw new NotFoundError(
        version === undefined ? 'pipeline' : 'pipeline version',
        version === undefined ? pipeline : `${pipeline}@${version}`,
      );
    return { version: row.version, digest: row.digest, spec: this.parse(pipeline, row.digest, row.spec) };
  }

  /** Step ids in spec order, or undefined when the version no longer exists. */
  async stepIds(pipeline: string, digest: string | null): Promise<string[] | undefined> {
    if (!digest) return undefined;
    let spec = this.byDigest.get(`${pipeline}:${digest}`);
    if (!spec) {
      const stored = await getSpecByDigest(this.db, pipeline, digest);
      if (stored === undefined) return undefined;
      spec = this.parse(pipeline, digest, stored);
    }
    return spec.steps.map((s) => s.id);
  }

  private parse(pipeline: string, digest: string, stored: unknown): PipelineSpec {
    const key = `${pipeline}:${digest}`;
    const hit = this.byDigest.get(key);
    if (hit) return hit;
    const parsed = parsePipelineSpec(stored);
    // Stored specs were validated on the way in; failing here means the spec language changed under them.
    if (!parsed.ok) throw new Error(`stored spec ${key} no longer validates: ${JSON.stringify(parsed.errors)}`);
    if (this.byDigest.size >= MAX_ENTRIES) this.byDigest.clear();
    this.byDigest.set(key, parsed.spec);
    return parsed.spec;
  }
}
