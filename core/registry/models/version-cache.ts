import type { Db } from '../../db/connect.js';
import { onRegistryChange } from '../change-feed.js';
import type { VersionRef } from '../uris.js';
import { type ModelVersion, requireVersion } from './versions-read.js';

const MAX_MODELS = 10_000;
const MAX_REFS_PER_MODEL = 1_000;

/**
 * Model versions as read by number, alias or `latest`, cached per model for the API's hottest read
 * (GET by alias). Every registry write evicts its model: in this process directly, in others
 * through the change feed. A read that overlaps an eviction is not stored (generation check), and
 * while `enabled()` is false (change feed down) every read goes to the database.
 */
export class VersionCache {
  private readonly models = new Map<string, Map<string, ModelVersion>>();
  private readonly generations = new Map<string, number>();
  private flushes = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Db,
    private readonly enabled: () => boolean,
  ) {
    this.unsubscribe = onRegistryChange((model) => this.evict(model));
  }

  async get(name: string, ref: VersionRef): Promise<ModelVersion> {
    if (!this.enabled()) return requireVersion(this.db, name, ref);
    const key = 'version' in ref ? `#${ref.version}` : `@${ref.alias}`;
    const hit = this.models.get(name)?.get(key);
    if (hit) return hit;
    const gen = this.generations.get(name) ?? 0;
    const flushes = this.flushes;
    const v = await requireVersion(this.db, name, ref);
    if ((this.generations.get(name) ?? 0) === gen && this.flushes === flushes && this.enabled())
      this.store(name, key, v);
    return v;
  }

  evict(model: string | null): void {
    if (model === null) {
      this.flushes++;
      this.models.clear();
      return;
    }
    this.generations.set(model, (this.generations.get(model) ?? 0) + 1);
    this.models.delete(model);
  }

  close(): void {
    this.unsubscribe();
    this.models.clear();
  }

  private store(name: string, key: string, v: ModelVersion): void {
    let refs = this.models.get(name);
    if (!refs) {
      if (this.models.size >= MAX_MODELS) this.models.delete(this.models.keys().next().value!);
      refs = new Map();
      this.models.set(name, refs);
    }
    if (refs.size >= MAX_REFS_PER_MODEL) refs.delete(refs.keys().next().value!);
    refs.set(key, v);
  }
}
