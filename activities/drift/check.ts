import { Context } from '@temporalio/activity';
import { checkDrift, type CheckInput, type CheckOutput } from '../../core/drift/check.js';
import { pruneWindows } from '../../core/drift/windows.js';
import type { RunContext } from '../../core/runs/context.js';
import { SpecCache } from '../../core/runs/specs.js';
import { startRun } from '../../core/runs/start.js';
import type { RunView } from '../../core/runs/views.js';
import { Lru } from '../../core/util/lru.js';
import type { ActivityDeps } from '../deps.js';

/** Windows are kept for this many times the longest window a check reads. */
const KEEP_WINDOWS = 2;

/**
 * One drift check (core/drift/check.ts). The retraining run starts through the worker's own client
 * on the monitor's task queue, keyed by the check id, so a retried activity finds the run the first
 * attempt started.
 */
export function checkDriftActivity(deps: ActivityDeps) {
  const specs = new SpecCache(deps.db);
  const finished = new Lru<RunView>(16);
  return async function checkDriftActivity(i: CheckInput): Promise<CheckOutput> {
    const ctx = Context.current();
    const runs: RunContext = { db: deps.db, temporal: ctx.client, taskQueue: ctx.info.taskQueue, specs, finished };
    const out = await checkDrift(
      {
        db: deps.db,
        startRetrain: async (r) => {
          const actor = `drift:${r.deployment}`;
          return startRun(
            runs,
            {
              pipeline: r.pipeline,
              params: r.params,
              idempotencyKey: r.idempotencyKey,
              trigger: 'drift',
              createdBy: actor,
            },
            { actor, requestId: i.checkId },
          );
        },
      },
      i,
    );
    await pruneWindows(
      deps.db,
      i.deployment,
      new Date(Date.parse(i.at) - KEEP_WINDOWS * i.monitoring.windowSeconds * 1000),
    );
    return out;
  };
}
