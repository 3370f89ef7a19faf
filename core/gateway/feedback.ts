import type { Gauge } from 'prom-client';
import type { Db } from '../db/connect.js';
import { ConflictError, SluiceError, ValidationError } from '../errors.js';
import type { PredictionObservation, PredictionObserver } from './observer.js';

/** Predictions kept in memory for feedback: the most recent ones, up to this many in all. */
export const RECENT_PREDICTIONS = 200_000;
/** Sampled requests waiting for the next flush; beyond this, samples are dropped until it runs. */
const MAX_PENDING_SAMPLES = 5_000;

interface Served {
  deployment: string;
  version: number;
  predictions: readonly unknown[];
  scored?: boolean;
}

export interface Scored {
  requestId: string;
  version: number;
  labelled: number;
  correct: number;
}

export interface VersionAccuracy {
  version: number;
  labelled: number;
  correct: number;
  accuracy: number | null;
}

/** 404 for feedback on a request the gateway does not remember (or of another deployment). */
export class UnknownRequestError extends SluiceError {
  constructor(deployment: string, requestId: string) {
    super(
      'unknown-request',
      404,
      `no prediction with request id "${requestId}" is known for deployment "${deployment}": feedback is scored ` +
        'against recent predictions of the API process that served them and against sampled ones ' +
        '(SLUICE_GATEWAY_SAMPLE_RATE); this one is neither, or it was never made',
    );
  }
}

/** Two labels agree when equal as JSON, or as text for scalars (a server's 1 and a client's "1"). */
export function sameLabel(a: unknown, b: unknown): boolean {
  const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  if (scalar(a) && scalar(b)) return String(a) === String(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Ground truth for predictions: remembers recent predictions (bounded, oldest dropped first),
 * samples requests to gateway_requests (so feedback outlives this process's memory), scores
 * feedback against them and keeps accuracy per (deployment, version): in memory, flushed to
 * gateway_accuracy with the other observers, and as a Prometheus gauge of this process's share.
 */
export class Feedback implements PredictionObserver {
  private readonly recent = new Map<string, Served>();
  private recentCount = 0;
  private samples: PredictionObservation[] = [];
  private pending = new Map<string, { deployment: string; version: number; labelled: number; correct: number }>();
  private readonly total = new Map<string, { labelled: number; correct: number }>();
  private windowStart = new Date();
  /** Sampled requests already scored (only those: remembered ones carry their own mark). */
  private readonly scoredSamples = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly sampleRate: number,
    private readonly gauge?: Gauge<'deployment' | 'version'>,
    private readonly random: () => number = Math.random,
  ) {}

  observe(o: PredictionObservation): void {
    if (!o.predictions) return;
    this.recent.set(o.requestId, { deployment: o.deployment, version: o.version, predictions: o.predictions });
    this.recentCount += o.predictions.length;
    while (this.recentCount > RECENT_PREDICTIONS) {
      const [oldest, served] = this.recent.entries().next().value as [string, Served];
      this.recent.delete(oldest);
      this.recentCount -= served.predictions.length;
    }
    if (this.sampleRate > 0 && this.random() < this.sampleRate && this.samples.length < MAX_PENDING_SAMPLES)
      // PostgreSQL's jsonb cannot hold U+0000: a request carrying one is served and scored from memory,
      // but left out of the sampled log rather than failing the flush of every other sample.
      if (!hasNul(o.rows) && !hasNul(o.predictions)) this.samples.push(o);
  }

  /** Scores `labels` (one per row of the request) against what served `requestId`. */
  async score(deployment: string, requestId: string, truth: { label?: unknown; labels?: unknown[] }): Promise<Scored> {
    let served = this.recent.get(requestId);
    if (served && served.deployment !== deployment) served = undefined;
    let sampled = false;
    if (!served) {
      const row = await this.db
        .selectFrom('gateway_requests')
        .select(['version', 'predictions'])
        .where('request_id', '=', requestId)
        .where('deployment', '=', deployment)
        .executeTakeFirst();
      if (!row) throw new UnknownRequestError(deployment, requestId);
      served = { deployment, version: row.version, predictions: row.predictions as unknown[] };
      sampled = true;
    }
    const labels = labelsFor(served.predictions.length, truth);
    if (served.scored || (sampled && this.scoredSamples.has(requestId)))
      throw new ConflictError(`feedback for request "${requestId}" was already scored; each prediction counts once`);
    if (sampled) {
      if (this.scoredSamples.size >= RECENT_PREDICTIONS) this.scoredSamples.clear();
      this.scoredSamples.add(requestId);
    } else served.scored = true;
    const correct = labels.filter((l, i) => sameLabel(l, served.predictions[i])).length;
    this.record(deployment, served.version, labels.length, correct);
    return { requestId, version: served.version, labelled: labels.length, correct };
  }

  private record(deployment: string, version: number, labelled: number, correct: number): void {
    const key = `${deployment}\u0000${version}`;
    const p = this.pending.get(key) ?? { deployment, version, labelled: 0, correct: 0 };
    p.labelled += labelled;
    p.correct += correct;
    this.pending.set(key, p);
    const t = this.total.get(key) ?? { labelled: 0, correct: 0 };
    t.labelled += labelled;
    t.correct += correct;
    this.total.set(key, t);
    this.gauge?.set({ deployment, version: String(version) }, t.correct / t.labelled);
  }

  /** Accuracy per version: flushed windows (from `since` on) plus what this process has not flushed yet. */
  async accuracy(deployment: string, since?: Date): Promise<VersionAccuracy[]> {
    let q = this.db
      .selectFrom('gateway_accuracy')
      .select((eb) => [
        'version',
        eb.fn.sum<string>('labelled').as('labelled'),
        eb.fn.sum<string>('correct').as('correct'),
      ])
      .where('deployment', '=', deployment)
      .groupBy('version');
    if (since) q = q.where('window_end', '>=', since);
    const byVersion = new Map<number, { labelled: number; correct: number }>();
    for (const r of await q.execute())
      byVersion.set(r.version, { labelled: Number(r.labelled), correct: Number(r.correct) });
    for (const p of this.pending.values()) {
      if (p.deployment !== deployment) continue;
      const v = byVersion.get(p.version) ?? { labelled: 0, correct: 0 };
      byVersion.set(p.version, { labelled: v.labelled + p.labelled, correct: v.correct + p.correct });
    }
    return [...byVersion.entries()]
      .sort(([a], [b]) => a - b)
      .map(([version, v]) => ({ version, ...v, accuracy: v.labelled ? v.correct / v.labelled : null }));
  }

  async flush(): Promise<void> {
    await Promise.all([this.flushAccuracy(), this.flushSamples()]);
  }

  private async flushAccuracy(): Promise<void> {
    const taken = this.pending;
    const start = this.windowStart;
    const end = new Date();
    this.windowStart = end;
    if (taken.size === 0) return;
    this.pending = new Map();
    try {
      await this.db
        .insertInto('gateway_accuracy')
        .values([...taken.values()].map((p) => ({ ...p, window_start: start, window_end: end })))
        .execute();
    } catch (err) {
      for (const [key, p] of taken) {
        const now = this.pending.get(key);
        if (!now) this.pending.set(key, p);
        else {
          now.labelled += p.labelled;
          now.correct += p.correct;
        }
      }
      this.windowStart = start;
      throw err;
    }
  }

  private async flushSamples(): Promise<void> {
    if (this.samples.length === 0) return;
    const taken = this.samples;
    this.samples = [];
    await this.db
      .insertInto('gateway_requests')
      .values(
        taken.map((o) => ({
          request_id: o.requestId,
          deployment: o.deployment,
          model: o.model,
          version: o.version,
          at: o.at,
          rows: JSON.stringify(o.rows),
          predictions: JSON.stringify(o.predictions),
          latency_ms: o.latencyMs,
        })),
      )
      .onConflict((oc) => oc.column('request_id').doNothing())
      .execute();
  }
}

function labelsFor(rows: number, truth: { label?: unknown; labels?: unknown[] }): unknown[] {
  const hasLabel = truth.label !== undefined;
  if (hasLabel === (truth.labels !== undefined))
    throw new ValidationError('send either label (a one-row request) or labels (one per row)', [
      { path: 'body.label', message: 'send exactly one of label and labels' },
    ]);
  if (hasLabel) {
    if (rows !== 1)
      throw new ValidationError(`the request had ${rows} rows: send labels, one per row`, [
        { path: 'body.label', message: `the request had ${rows} rows; send labels (an array of ${rows})` },
      ]);
    return [truth.label];
  }
  if (truth.labels!.length !== rows)
    throw new ValidationError(`the request had ${rows} rows, not ${truth.labels!.length}`, [
      { path: 'body.labels', message: `expected ${rows} labels, one per row` },
    ]);
  return truth.labels!;
}

/** Whether a JSON value has U+0000 anywhere (in a string or a key). */
function hasNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Array.isArray(v)) return v.some(hasNul);
  if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => k.includes('\u0000') || hasNul(x));
  return false;
}
