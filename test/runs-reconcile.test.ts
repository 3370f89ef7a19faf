import { describe, expect, it } from 'vitest';
import type { RunContext } from '../core/runs/context.js';
import { newRunId, workflowIdFor } from '../core/runs/ids.js';
import { insertPendingRun } from '../core/runs/queries.js';
import { reconcilePendingRuns } from '../core/runs/reconcile.js';
import { SpecCache } from '../core/runs/specs.js';
import { Lru } from '../core/util/lru.js';
import { apply, waitForRun } from './support/api-runs.js';
import { useApi } from './support/api.js';
import { uniqueId } from './support/services.js';

const pipelineYaml = (name: string) => `
apiVersion: sluice/v1
name: ${name}
params:
  n: { type: integer, default: 1 }
steps:
  - { id: a, image: none, executor: process, command: [sh, -c, 'test "$N" -ge 1'], env: { N: "\${params.n}" } }
`;

describe('runs stranded between their row and their workflow start', () => {
  const api = useApi({ worker: true });

  /** The row startRun writes, without the workflow start that should follow it (the API died there). */
  async function strand(pipeline: string, version: number, params: Record<string, unknown>): Promise<string> {
    const id = newRunId(pipeline);
    const row = { id, workflowId: workflowIdFor(id), pipeline, version, params, trigger: 'api', createdBy: null };
    expect(await insertPendingRun(api.h.db, { ...row, idempotencyKey: null, retryOf: null })).toBe(true);
    return id;
  }
  const ctx = (): RunContext => ({
    db: api.h.db,
    temporal: api.h.client,
    taskQueue: api.h.taskQueue,
    specs: new SpecCache(api.h.db),
    finished: new Lru(10),
  });
  // Past every row's grace: the rows were just written.
  const pastGrace = () => ({ graceMs: 0, now: new Date(Date.now() + 1000) });

  it('a pending run with no workflow is started by the reconciler and succeeds; a fresh one is left alone', async () => {
    const { pipeline, version } = await apply(api, pipelineYaml(uniqueId('reconcile')));
    const id = await strand(pipeline, version, { n: 2 });
    expect(await reconcilePendingRuns(ctx())).toEqual({ started: [], failed: [] });

    const done = await reconcilePendingRuns(ctx(), pastGrace());
    expect(done.started).toContain(id);
    const run = await waitForRun(api, id);
    expect(run.status).toBe('succeeded');
    // Its workflow exists now: the next pass does nothing to it.
    expect((await reconcilePendingRuns(ctx(), pastGrace())).started).not.toContain(id);
  });

  it('one that cannot start (version gone, params invalid) ends failed with the reason', async () => {
    const { pipeline, version } = await apply(api, pipelineYaml(uniqueId('reconcile-bad')));
    const gone = await strand(pipeline, version + 41, { n: 1 });
    const invalid = await strand(pipeline, version, { n: 'many' });
    const done = await reconcilePendingRuns(ctx(), pastGrace());
    expect(done.failed.sort()).toEqual([gone, invalid].sort());
    const goneRun = await waitForRun(api, gone);
    expect(goneRun.status).toBe('failed');
    expect(goneRun.error).toMatch(/^never started: pipeline version ".*@\d+" does not exist/);
    const invalidRun = await waitForRun(api, invalid);
    expect(invalidRun.status).toBe('failed');
    expect(invalidRun.error).toMatch(/^never started: invalid params/);
  });
});
