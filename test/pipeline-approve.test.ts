import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApi, expectProblem, useApi, type ApiHarness } from './support/api.js';
import { apply, startRun, waitForRun, type RunBody } from './support/api-runs.js';
import { currentSchema, dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { createHarness, type Harness } from './support/harness.js';
import { testServices, uniqueId } from './support/services.js';
import { spawnWorkerProcess } from './support/worker-process.js';
import { SluiceStatusKey } from '../core/temporal/search-attributes.js';

type Step = RunBody['steps'][number] & { details: Record<string, unknown> | null; skipReason: string | null };
type Run = Omit<RunBody, 'steps'> & { outcome: string | null; outcomeReason: string | null; steps: Step[] };

/** a → approve → after, on the process executor; `extra` adds fields to the approve step. */
function approvalPipeline(name: string, extra = ''): string {
  return `
apiVersion: sluice/v1
name: ${name}
settings: { cache: false }
steps:
  - id: a
    image: none
    command: [sh, -c, 'echo built > "$SLUICE_OUTPUTS_DIR/model"']
    outputs: [model]
  - id: approve
    kind: approve
    dependsOn: [a]
    message: Promote the challenger?${extra}
  - id: after
    image: none
    command: [sh, -c, 'echo promoted']
    dependsOn: [approve]
`;
}

async function startWaiting(api: ApiHarness, extra = ''): Promise<Run> {
  const { pipeline } = await apply(api, approvalPipeline(uniqueId('appr'), extra));
  const run = await startRun(api, pipeline);
  return (await waitForRun(api, run.id, (r) => r.status === 'waiting', 60_000)) as Run;
}

const decide = (
  api: ApiHarness,
  role: 'operator' | 'admin',
  run: string,
  step: string,
  verb: string,
  comment?: string,
) =>
  api.call(role, {
    method: 'POST',
    url: `/v1/runs/${run}/steps/${step}/${verb}`,
    payload: comment === undefined ? {} : { comment },
  });

const step = (run: Run, id: string): Step => run.steps.find((s) => s.id === id)!;

const root = fileURLToPath(new URL('..', import.meta.url));

/** The CLI as a user runs it: a child process against the API's address. */
const sluice = (api: string, key: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin/sluice.js'), ...args],
      { cwd: root, timeout: 60_000, env: { PATH: process.env.PATH, SLUICE_API_URL: api, SLUICE_API_KEY: key } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });

describe('approve steps', () => {
  const api = useApi({ worker: true });

  it('waits visibly, refuses the creator where a distinct approver is required, and goes on once another key approves', async () => {
    const waiting = await startWaiting(api, '\n    distinctApprover: true');
    expect(step(waiting, 'approve').status).toBe('awaiting-approval');
    expect(step(waiting, 'approve').details).toMatchObject({ message: 'Promote the challenger?', onTimeout: 'reject' });
    expect(step(waiting, 'after').status).toBe('pending');
    const wf = api.h.client.workflow.getHandle((waiting as unknown as { workflowId: string }).workflowId);
    expect((await wf.describe()).typedSearchAttributes.get(SluiceStatusKey)).toBe('waiting');
    const listed = await api.call('viewer', { method: 'GET', url: '/v1/runs?status=waiting&limit=200' });
    expect(listed.json().items.map((r: { id: string }) => r.id)).toContain(waiting.id);

    const self = expectProblem(await decide(api, 'operator', waiting.id, 'approve', 'approve', 'mine'), 403);
    expect(self.detail).toContain('other than the key that started the run (test-operator)');
    expectProblem(await decide(api, 'admin', waiting.id, 'ghost', 'approve'), 404);
    expectProblem(await decide(api, 'admin', waiting.id, 'a', 'approve'), 409);
    expectProblem(await decide(api, 'admin', 'no-such-run', 'approve', 'approve'), 404);

    const t0 = Date.now();
    const ok = await decide(api, 'admin', waiting.id, 'approve', 'approve', 'looks good');
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ decision: 'approved', by: 'test-admin', comment: 'looks good', repeated: false });
    const again = await decide(api, 'admin', waiting.id, 'approve', 'approve', 'looks good');
    expect(again.json()).toMatchObject({ decision: 'approved', repeated: true });
    expectProblem(await decide(api, 'admin', waiting.id, 'approve', 'reject'), 409);

    const done = (await waitForRun(api, waiting.id, undefined, 60_000)) as Run;
    expect(done.status).toBe('succeeded');
    expect(done.outcome).toBeNull();
    expect(step(done, 'after').status).toBe('succeeded');
    // The workflow's own times: approve ended before the step it released started (not when the run was recorded).
    const approved = step(done, 'approve') as unknown as { startedAt: string; finishedAt: string };
    const after = step(done, 'after') as unknown as { startedAt: string };
    expect(Date.parse(approved.startedAt)).toBeLessThan(t0);
    expect(Date.parse(approved.finishedAt)).toBeGreaterThanOrEqual(t0);
    expect(Date.parse(approved.finishedAt)).toBeLessThanOrEqual(Date.parse(after.startedAt));
    expect(step(done, 'approve').details).toMatchObject({
      decision: 'approved',
      by: 'test-admin',
      comment: 'looks good',
    });
    // After the run: the same decision is still answered, the other refused.
    expect((await decide(api, 'admin', waiting.id, 'approve', 'approve')).json()).toMatchObject({ repeated: true });
    expectProblem(await decide(api, 'admin', waiting.id, 'approve', 'reject'), 409);
    const events = await api.h.db
      .selectFrom('events')
      .select(['action', 'actor', 'details'])
      .where('resource_id', '=', waiting.id)
      .where('action', 'like', 'run.step.%')
      .execute();
    expect(events).toEqual([
      {
        action: 'run.step.approve',
        actor: 'test-admin',
        details: { step: 'approve', decision: 'approved', comment: 'looks good' },
      },
    ]);
  }, 120_000);

  it('a rejection ends the run succeeded with outcome rejected, its dependants skipped', async () => {
    const waiting = await startWaiting(api);
    const res = await decide(api, 'operator', waiting.id, 'approve', 'reject', 'worse than champion');
    expect(res.statusCode, res.body).toBe(200);
    const done = (await waitForRun(api, waiting.id, undefined, 60_000)) as Run;
    expect(done.status).toBe('succeeded');
    expect(done.outcome).toBe('rejected');
    expect(done.outcomeReason).toBe('rejected by test-operator: worse than champion');
    expect(step(done, 'after')).toMatchObject({ status: 'skipped' });
    expect(step(done, 'after').skipReason).toContain('rejected by test-operator: worse than champion');
    expect(step(done, 'approve').details).toMatchObject({ decision: 'rejected', by: 'test-operator' });
  }, 120_000);

  it.each([
    ['reject', 'rejected', 'skipped'],
    ['approve', 'approved', 'succeeded'],
  ])(
    'on timeout, onTimeout: %s applies',
    async (onTimeout, decision, after) => {
      const { pipeline } = await apply(
        api,
        approvalPipeline(uniqueId('appr'), `\n    timeout: 2s\n    onTimeout: ${onTimeout}`),
      );
      const run = await startRun(api, pipeline);
      const done = (await waitForRun(api, run.id, undefined, 60_000)) as Run;
      expect(done.status).toBe('succeeded');
      expect(step(done, 'approve').details).toMatchObject({ decision, by: 'timeout', comment: null });
      expect(step(done, 'after').status).toBe(after);
      expect(done.outcome).toBe(onTimeout === 'reject' ? 'rejected' : null);
    },
    120_000,
  );

  it('the CLI lists waiting runs and approves the one step that awaits approval', async () => {
    const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const waiting = await startWaiting(api);
    const ls = await sluice(url, api.keys.viewer, ['runs', 'ls', '--status', 'waiting', '--limit', '200']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`${waiting.id}.*waiting`));
    const refused = await sluice(url, api.keys.admin, ['approve', waiting.id, 'a']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('not an approve step');
    const ok = await sluice(url, api.keys.admin, ['approve', waiting.id, '-m', 'ship it']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`approved step approve of run ${waiting.id}`);
    const done = (await waitForRun(api, waiting.id, undefined, 60_000)) as Run;
    expect(step(done, 'approve').details).toMatchObject({ decision: 'approved', by: 'test-admin', comment: 'ship it' });
    const none = await sluice(url, api.keys.admin, ['approve', waiting.id, '--reject']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no step awaiting approval');
  }, 120_000);
});

describe('approve steps: a worker SIGKILLed while the run waits', () => {
  let h: Harness;
  let pg: OpenedDb;
  let api: ApiHarness;
  beforeAll(async () => {
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
    h = await createHarness({ db: pg.db });
    api = await createApi(h);
  });
  afterAll(async () => {
    await h?.close();
    await pg?.close();
  });

  it('a new worker takes the approval and the run completes exactly once', async () => {
    const schema = await currentSchema(pg.db);
    const env = {
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: schema,
      SLUICE_DATA_DIR: await mkdtemp(join(tmpdir(), 'sluice-approve-')),
      SLUICE_EXECUTOR: 'process',
      // A split worker allows no process steps unless configured; its temp data dir is out of a step user's reach.
      SLUICE_POLICY_EXECUTORS: 'docker,process',
      SLUICE_POLICY_ALLOW_ROOT: 'true',
    };
    const first = await spawnWorkerProcess(env);
    let second: Awaited<ReturnType<typeof spawnWorkerProcess>> | undefined;
    try {
      const waiting = await startWaiting(api, '\n    distinctApprover: true');
      first.kill('SIGKILL');
      second = await spawnWorkerProcess(env);
      const ok = await decide(api, 'admin', waiting.id, 'approve', 'approve', 'after the crash');
      expect(ok.statusCode, ok.body).toBe(200);
      const done = (await waitForRun(api, waiting.id, undefined, 60_000)) as Run;
      expect(done.status).toBe('succeeded');
      expect(step(done, 'after').status).toBe('succeeded');
      expect(step(done, 'after').attempt).toBe(1);
      expect(step(done, 'approve').details).toMatchObject({ decision: 'approved', comment: 'after the crash' });
      const rows = await pg.db.selectFrom('run_steps').select('step_id').where('run_id', '=', waiting.id).execute();
      expect(rows.map((r) => r.step_id).sort()).toEqual(['a', 'after', 'approve']);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
    }
  }, 180_000);
});
