import { Command } from 'commander';
import type { DriftView } from '../../core/drift/views.js';
import { contextOf } from '../context.js';
import { ago, colors, out, printJson, table } from '../output.js';

const num = (x: number | null): string =>
  x === null ? '∞' : Math.abs(x) < 1e-4 && x !== 0 ? x.toExponential(2) : x.toFixed(4);

/** `sluice drift DEPLOYMENT`: the latest verdict as a table of features, then the drift retrains. */
export function driftCommand(): Command {
  return new Command('drift')
    .description("Show a deployment's latest drift verdict per feature and the retrains drift started")
    .argument('<deployment>')
    .option('--feature <name>', "one feature's time series instead ('' for the data set)")
    .option('--limit <n>', 'series points (max 200)', '20')
    .action(async (deployment: string, o: { feature?: string; limit: string }, c: Command) => {
      const { client, json } = contextOf(c);
      const query: Record<string, string> = {
        limit: o.limit,
        ...(o.feature !== undefined ? { feature: o.feature } : {}),
      };
      const v = await client.json<DriftView>('GET', `/v1/deployments/${encodeURIComponent(deployment)}/drift`, {
        query,
      });
      if (json) return printJson(v);
      if (o.feature !== undefined) {
        table(
          ['AT', 'VERSION', 'METHOD', 'STATISTIC', 'P-VALUE', 'THRESHOLD', 'DRIFTED', 'N'],
          v.series.items.map((p) => [
            ago(p.at),
            String(p.version),
            p.method,
            num(p.statistic),
            p.pValue === null ? '' : num(p.pValue),
            String(p.threshold),
            p.drifted ? 'yes' : 'no',
            String(p.n),
          ]),
          { 6: (s) => (s.trim() === 'yes' ? colors.red(s) : s) },
        );
        return;
      }
      const l = v.latest;
      if (!l) {
        out('no verdict yet (the monitor needs a full window of traffic)');
        return;
      }
      const verdict = l.datasetDrift ? colors.red('DRIFT') : colors.green('no drift');
      out(
        `${verdict}: ${Math.round(l.share * 100)}% of features drifted (threshold ${Math.round(l.driftShare * 100)}%), ` +
          `${l.rows} rows vs ${l.reference}, ${l.model} v${l.version}, ${ago(l.at)}`,
      );
      table(
        ['FEATURE', 'METHOD', 'STATISTIC', 'P-VALUE', 'THRESHOLD', 'DRIFTED', 'N'],
        l.features.map((f) => [
          f.feature,
          f.method,
          num(f.statistic),
          f.pValue === null ? '' : num(f.pValue),
          String(f.threshold),
          f.drifted ? 'yes' : 'no',
          String(f.n),
        ]),
        { 5: (s) => (s.trim() === 'yes' ? colors.red(s) : s) },
      );
      if (v.retrains.length) {
        out();
        table(
          ['RETRAIN RUN', 'PIPELINE', 'STARTED'],
          v.retrains.map((r) => [r.runId, r.pipeline, ago(r.at)]),
        );
      }
    });
}
