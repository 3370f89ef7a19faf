/**
 * The gateway's drift observer: counts every row's features into the training data's bins in
 * memory, per deployment version, and writes the counts to drift_windows every few seconds. A
 * request costs a few map look-ups and binary searches; never a database write.
 */
import type { Db } from '../db/connect.js';
import type { PredictionObservation, PredictionObserver } from '../gateway/observer.js';
import { addCounts, emptyCounts, rowCounter, type WindowCounts } from './bins.js';
import { loadReference, type Reference } from './reference.js';
import { insertWindow } from './windows.js';

export interface FeatureWindowObserverOptions {
  db: Db;
  /** How often counts are written (ms); 5 s by default. */
  flushMs?: number;
  /** How long a version without a profiled training dataset is left alone before looking again (ms). */
  missRetryMs?: number;
  /** Rows kept per version while its reference loads; more are dropped (and counted as such). */
  maxPendingRows?: number;
  loadReference?: (model: string, version: number) => Promise<Reference | null>;
  onError?: (err: unknown) => void;
}

interface Loaded {
  ref: Reference | null;
  count?: (c: WindowCounts, row: Record<string, unknown>) => void;
  at: number;
}

interface Window {
  deployment: string;
  model: string;
  version: number;
  ref: Reference;
  start: Date;
  counts: WindowCounts;
}

export class FeatureWindowObserver implements PredictionObserver {
  private readonly refs = new Map<string, Loaded>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, PredictionObservation[]>();
  private pendingRows = 0;
  private windows = new Map<string, Window>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** Rows dropped because a reference was still loading and the buffer was full. */
  dropped = 0;

  constructor(private readonly opts: FeatureWindowObserverOptions) {
    this.timer = setInterval(() => void this.flush(), opts.flushMs ?? 5_000);
    this.timer.unref();
  }

  observe(o: PredictionObservation): void {
    const refKey = `${o.model}\0${o.version}`;
    const loaded = this.refs.get(refKey);
    if (loaded && (loaded.ref || Date.now() - loaded.at < (this.opts.missRetryMs ?? 60_000))) {
      if (loaded.ref) this.count(o, loaded);
      return;
    }
    const buf = this.pending.get(refKey) ?? [];
    if (this.pendingRows + o.rows.length > (this.opts.maxPendingRows ?? 10_000)) this.dropped += o.rows.length;
    else {
      buf.push(o);
      this.pendingRows += o.rows.length;
      this.pending.set(refKey, buf);
    }
    if (!this.loading.has(refKey)) this.loading.set(refKey, this.load(refKey, o.model, o.version));
  }

  /** Resolves once every reference asked for so far has loaded (tests and close()). */
  async ready(): Promise<void> {
    await Promise.all(this.loading.values());
  }

  private async load(refKey: string, model: string, version: number): Promise<void> {
    let ref: Reference | null = null;
    try {
      ref = await (this.opts.loadReference ?? ((m, v) => loadReference(this.opts.db, m, v)))(model, version);
    } catch (err) {
      this.opts.onError?.(err);
    }
    const loaded: Loaded = { ref, at: Date.now(), ...(ref ? { count: rowCounter(ref) } : {}) };
    this.refs.set(refKey, loaded);
    const buf = this.pending.get(refKey) ?? [];
    this.pending.delete(refKey);
    for (const o of buf) {
      this.pendingRows -= o.rows.length;
      if (ref) this.count(o, loaded);
    }
    this.loading.delete(refKey);
  }

  private count(o: PredictionObservation, loaded: Loaded): void {
    const key = `${o.deployment}\0${o.model}\0${o.version}`;
    let w = this.windows.get(key);
    if (!w || w.ref !== loaded.ref) {
      w = {
        deployment: o.deployment,
        model: o.model,
        version: o.version,
        ref: loaded.ref!,
        start: o.at,
        counts: emptyCounts(loaded.ref!),
      };
      this.windows.set(key, w);
    }
    for (const row of o.rows) loaded.count!(w.counts, row);
  }

  /** Writes every window with rows; a failed write keeps its counts for the next flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    const out = this.windows;
    this.windows = new Map();
    const end = new Date();
    for (const [key, w] of out) {
      if (!w.counts.rows) continue;
      try {
        await insertWindow(
          this.opts.db,
          { deployment: w.deployment, model: w.model, version: w.version, reference: w.ref.key },
          w.start,
          end,
          w.counts,
        );
      } catch (err) {
        this.opts.onError?.(err);
        const now = this.windows.get(key);
        if (now && now.ref === w.ref) {
          addCounts(now.counts, w.counts);
          now.start = w.start;
        } else this.windows.set(key, w);
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.ready();
    await this.flush();
  }
}
