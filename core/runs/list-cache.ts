import { Lru } from '../util/lru.js';

/**
 * Serialised pages of the run list, keyed by the query, kept only while nothing has written the
 * runs table since they were read.
 *
 * Why a page served from here is never stale: every statement that writes runs (the API's starts
 * and cancels, the worker's projection of each status change, in whatever process) fires a trigger
 * whose NOTIFY reaches `invalidate()` when it commits, and that drops every page. A page is stored
 * only if no invalidation happened while it was read (a read racing a write is served once, not
 * kept), and only while the change feed is up; while it is down every request reads the database.
 * So an active run's list entry changes as soon as its new status is committed and announced: on
 * PGlite before the writing call returns, on PostgreSQL as soon as the listener receives the
 * NOTIFY, which the server sends at commit.
 */
export class RunListCache {
  private generation = 0;
  private readonly pages: Lru<string>;

  constructor(
    private readonly live_: () => boolean,
    size = 1_000,
  ) {
    this.pages = new Lru(size);
  }

  /** Whether pages are being kept (the change feed is up). */
  get live(): boolean {
    return this.live_();
  }

  invalidate(): void {
    this.generation++;
    this.pages.clear();
  }

  async page(key: string, read: () => Promise<string>): Promise<string> {
    if (!this.live_()) return read();
    const hit = this.pages.get(key);
    if (hit !== undefined) return hit;
    const seen = this.generation;
    const page = await read();
    if (seen === this.generation && this.live_()) this.pages.set(key, page);
    return page;
  }
}
