/**
 * The reference a deployment's traffic is compared with: the training data's profile, as ingest
 * stored it on the dataset version (core/registry/profiling), reduced to bins. Numeric columns use
 * their decile bins (`quantiles`), categorical ones their capped value counts (`frequencies`).
 */
import type { Db } from '../db/connect.js';
import type { ColumnStats } from '../registry/profiling/column-stats.js';
import type { DatasetStats } from '../registry/profiling/csv-stats.js';

export interface NumericReference {
  kind: 'numeric';
  name: string;
  /** Ascending decile edges; bin i is [edges[i], edges[i+1]), the last one includes the max. */
  edges: number[];
  counts: number[];
  /** Non-null values in the reference. */
  n: number;
  distinct: number;
  /** Population standard deviation (numpy.std), from the profile's sample std. */
  std: number;
}

export interface CategoricalReference {
  kind: 'categorical';
  name: string;
  values: string[];
  counts: number[];
  /** Values past the profile's cap: traffic values not in `values` are compared with this. */
  other: number;
  n: number;
  distinct: number;
  /** Booleans compare case-insensitively (CSV `True` and JSON `true`). */
  lowerCase: boolean;
}

export type FeatureReference = NumericReference | CategoricalReference;

export interface Reference {
  /** `dataset/version`, stored beside every window counted in these bins. */
  key: string;
  rows: number;
  features: FeatureReference[];
}

/** Evidently treats numeric columns with at most this many distinct values as categorical. */
export const LOW_CARDINALITY = 5;

function featureReference(c: ColumnStats): FeatureReference | undefined {
  const numeric = c.type === 'integer' || c.type === 'number';
  if (numeric && c.quantiles && (c.distinct > LOW_CARDINALITY || !c.frequencies)) {
    const n = c.count;
    const sample = c.std ?? 0;
    return {
      kind: 'numeric',
      name: c.name,
      edges: c.quantiles.edges,
      counts: c.quantiles.counts,
      n,
      distinct: c.distinct,
      std: n > 1 ? sample * Math.sqrt((n - 1) / n) : 0,
    };
  }
  if (c.frequencies) {
    return {
      kind: 'categorical',
      name: c.name,
      values: c.frequencies.values.map((v) => (c.type === 'boolean' ? v.value.toLowerCase() : v.value)),
      counts: c.frequencies.values.map((v) => v.count),
      other: c.frequencies.otherCount,
      n: c.count,
      distinct: c.distinct,
      lowerCase: c.type === 'boolean',
    };
  }
  return undefined;
}

/** The bins of every column the profile can compare; columns without bins (dates, empty ones) are left out. */
export function referenceFromStats(key: string, stats: DatasetStats): Reference {
  return {
    key,
    rows: stats.rowCount,
    features: stats.columns.flatMap((c) => featureReference(c) ?? []),
  };
}

/**
 * The training dataset of a model version, through lineage (`trained_on`: the dataset versions
 * ingest steps upstream of the register step made), and its profile's bins. When a version was
 * trained on several, the first profiled one by name and version. Null without a profiled one.
 */
export async function loadReference(db: Db, model: string, version: number): Promise<Reference | null> {
  const row = await db
    .selectFrom('model_version_datasets as m')
    .innerJoin('dataset_versions as d', (j) =>
      j.onRef('d.dataset', '=', 'm.dataset').onRef('d.version', '=', 'm.dataset_version'),
    )
    .select(['d.dataset', 'd.version', 'd.stats'])
    .where('m.model', '=', model)
    .where('m.version', '=', version)
    .where('d.stats', 'is not', null)
    .orderBy('d.dataset')
    .orderBy('d.version')
    .executeTakeFirst();
  if (!row) return null;
  const stats = (typeof row.stats === 'string' ? JSON.parse(row.stats) : row.stats) as DatasetStats;
  if (!Array.isArray(stats?.columns)) return null;
  return referenceFromStats(`${row.dataset}/${row.version}`, stats);
}
