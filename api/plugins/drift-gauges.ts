import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../core/db/connect.js';
import { DATASET_ROW, latestPerFeature } from '../../core/drift/results.js';
import type { DriftResultRow } from '../../core/db/tables/drift.js';

/** A scrape reads the latest results at most this often; the monitor writes once per interval anyway. */
export const DRIFT_GAUGE_TTL_MS = 10_000;

/**
 * Drift gauges per deployment and feature, from the latest result of each (feature "" is the data
 * set: statistic = share of drifted features). Read on scrape, cached for DRIFT_GAUGE_TTL_MS.
 */
export function registerDriftGauges(registry: Registry, db: Db): void {
  let cached: { at: number; rows: DriftResultRow[] } | undefined;
  const latest = async () => {
    if (!cached || Date.now() - cached.at > DRIFT_GAUGE_TTL_MS)
      cached = { at: Date.now(), rows: await latestPerFeature(db) };
    return cached.rows;
  };
  const labelNames = ['deployment', 'feature', 'method'] as const;
  new Gauge({
    name: 'sluice_drift_statistic',
    help: 'Latest drift statistic per deployment and feature (p-value tests: the p-value; distances: the distance; feature "": share drifted)',
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await latest()) {
        const value = r.p_value ?? r.statistic;
        if (value !== null) this.set({ deployment: r.deployment, feature: r.feature, method: r.method }, value);
      }
    },
  });
  new Gauge({
    name: 'sluice_drift_drifted',
    help: 'Whether the latest check found drift (1) or not (0), per deployment and feature (feature "": the data set)',
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await latest()) {
        this.set({ deployment: r.deployment, feature: r.feature, method: r.method }, r.drifted ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'sluice_drift_check_timestamp_seconds',
    help: 'When the latest drift verdict of each deployment was made',
    labelNames: ['deployment'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await latest()) {
        if (r.feature === DATASET_ROW) this.set({ deployment: r.deployment }, r.at.getTime() / 1000);
      }
    },
  });
}
