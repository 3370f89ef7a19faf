import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApi } from './support/api.js';
import { apply, waitForRun } from './support/api-runs.js';
import { uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';

const pipeline = `
apiVersion: sluice/v1
name: retrain
params:
  n: { type: integer, default: 1 }
steps:
  - id: fit
    image: none
    command: [sh, -c, 'echo "fitting n=$N"']
    env: { N: "\${params.n}" }
`;

interface Schedule {
  name: string;
  scheduleId: string;
  paused: boolean;
  note: string | null;
  cron?: string;
  every?: string;
  version: number;
  params: Record<string, unknown>;
  nextRunTimes: string[];
  recentRuns: { workflowId: string; runId: string | null; status: string | null }[];
}

describe('schedules on Temporal Schedules', () => {
  const created: string[] = [];
  const api = useApi({ worker: true });
  beforeAll(async () => {
    await apply(api, pipeline);
  });
  afterAll(async () => {
    for (const name of created) await api.call('admin', { method: 'DELETE', url: `/v1/schedules/${name}` });
  });

  const create = async (body: Record<string, unknown>) => {
    const res = await api.call('operator', {
      method: 'POST',
      url: '/v1/schedules',
      payload: { pipeline: 'retrain', ...body },
    });
    if (res.statusCode === 201) created.push(body.name as string);
    return res;
  };
  const get = async (name: string): Promise<Schedule> =>
    (await api.call('viewer', { method: 'GET', url: `/v1/schedules/${name}` })).json();

  it('creates a cron schedule with its next run times, lists, pauses and resumes it', async () => {
    const name = uniqueId('nightly');
    const res = await create({ name, cron: '0 3 * * *', params: { n: '5' } });
    expect(res.statusCode, res.body).toBe(201);
    const s: Schedule = res.json();
    expect(s).toMatchObject({
      name,
      scheduleId: `sched-${name}`,
      cron: '0 3 * * *',
      version: 1,
      params: { n: 5 },
      paused: false,
    });
    expect(s.nextRunTimes.length).toBeGreaterThanOrEqual(3);
    for (const t of s.nextRunTimes) expect(t).toMatch(/T03:00:00(\.000)?Z$/);
    expect(Date.parse(s.nextRunTimes[1]!) - Date.parse(s.nextRunTimes[0]!)).toBe(24 * 3600_000);

    const listed = await waitFor('the schedule to be listed', async () => {
      const items: Schedule[] = (
        await api.call('viewer', { method: 'GET', url: '/v1/schedules?pipeline=retrain' })
      ).json().items;
      return items.find((i) => i.name === name);
    });
    expect(listed.cron).toBe('0 3 * * *');

    const paused = await api.call('operator', {
      method: 'POST',
      url: `/v1/schedules/${name}/pause`,
      payload: { note: 'data freeze' },
    });
    expect(paused.json()).toMatchObject({ paused: true, note: 'data freeze' });
    const resumed = await api.call('operator', { method: 'POST', url: `/v1/schedules/${name}/resume` });
    expect(resumed.json().paused, resumed.body).toBe(false);
    const events = (
      await api.call('viewer', { method: 'GET', url: `/v1/events?resourceType=schedule&resourceId=${name}` })
    ).json();
    expect(events.items.map((e: { action: string }) => e.action)).toEqual([
      'schedule.resume',
      'schedule.pause',
      'schedule.create',
    ]);
  });

  it('triggers a run now, which shows up as a scheduled run', async () => {
    const name = uniqueId('every');
    const s: Schedule = (await create({ name, every: '1h', paused: true })).json();
    expect(s).toMatchObject({ every: '1h', paused: true });
    expect((await api.call('operator', { method: 'POST', url: `/v1/schedules/${name}/trigger` })).statusCode).toBe(202);
    const fired = await waitFor('the schedule to fire', async () => (await get(name)).recentRuns[0]);
    expect(fired.workflowId).toMatch(new RegExp(`^run-sched-${name}-`));
    const withRun = await waitFor('the fired run to be recorded', async () => {
      const r = (await get(name)).recentRuns[0]!;
      return r.runId ? r : undefined;
    });
    const run = await waitForRun(api, withRun.runId!);
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'schedule' });
  });

  it('rejects bad cadences and params by field, duplicates, and unknown pipelines', async () => {
    const name = uniqueId('bad');
    const cron = (await create({ name, cron: '61 * * * *' })).json();
    expect(cron).toMatchObject({ status: 400, errors: [{ path: '$.cron', message: expect.stringMatching(/61/) }] });
    expect((await create({ name, cron: '* * * *' })).json().errors[0].message).toMatch(/five fields/);
    expect((await create({ name, cron: '@daily', every: '1h' })).json().errors[0].message).toMatch(/exactly one/);
    expect((await create({ name, every: '10ms' })).json().errors).toEqual([
      { path: '$.every', message: 'must be at least 1s' },
    ]);
    expect((await create({ name, every: '1h', timezone: 'Mars/Olympus' })).json().errors[0].path).toBe('$.timezone');
    expect((await create({ name, every: '1h', params: { n: 'many' } })).json().errors[0].path).toBe('$.params.n');
    expect((await create({ name, every: '1h', pipeline: 'ghost' })).statusCode).toBe(404);
    expect((await create({ name, every: '1h' })).statusCode).toBe(201);
    expect((await create({ name, every: '2h' })).statusCode).toBe(409);
  });

  it('deletes (admin only)', async () => {
    const name = uniqueId('doomed');
    await create({ name, cron: '@daily', paused: true });
    expect((await api.call('operator', { method: 'DELETE', url: `/v1/schedules/${name}` })).statusCode).toBe(403);
    expect((await api.call('admin', { method: 'DELETE', url: `/v1/schedules/${name}` })).statusCode).toBe(204);
    expect((await api.call('viewer', { method: 'GET', url: `/v1/schedules/${name}` })).statusCode).toBe(404);
    expect((await api.call('operator', { method: 'POST', url: `/v1/schedules/${name}/trigger` })).statusCode).toBe(404);
  });
});
