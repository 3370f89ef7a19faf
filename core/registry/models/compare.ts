import { isDeepStrictEqual } from 'node:util';
import type { ModelVersion } from './versions-read.js';

export interface MetricDiff {
  name: string;
  a: number | null;
  b: number | null;
  /** b - a, when both have the metric. */
  delta: number | null;
}
export interface ParamDiff {
  name: string;
  a: unknown;
  b: unknown;
  changed: boolean;
}

/** Metric deltas and param changes between two versions, over the union of their names, sorted by name. */
export function compareVersions(a: ModelVersion, b: ModelVersion): { metrics: MetricDiff[]; params: ParamDiff[] } {
  const names = (x: object, y: object) => [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  const metrics = names(a.metrics, b.metrics).map((name) => {
    const x = a.metrics[name] ?? null;
    const y = b.metrics[name] ?? null;
    return { name, a: x, b: y, delta: x !== null && y !== null ? y - x : null };
  });
  const params = names(a.params, b.params).map((name) => {
    const x = name in a.params ? a.params[name] : null;
    const y = name in b.params ? b.params[name] : null;
    return { name, a: x, b: y, changed: !isDeepStrictEqual(x, y) };
  });
  return { metrics, params };
}
