import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleDescription,
  type ScheduleSummary,
} from '@temporalio/client';
import { runsByWorkflowIds } from '../runs/queries.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { planRun } from '../pipeline/plan-run.js';
import { PipelineNameKey, TriggerKey } from '../temporal/search-attributes.js';
import type { RunPipelineInput } from '../runs/contract.js';
import type { RunContext } from '../runs/context.js';
import { workflowIdFor } from '../runs/ids.js';
import { scheduleSpec, type Cadence } from './cadence.js';
import type { ScheduleView } from './view.js';

export type { ScheduleView } from './view.js';

export interface ScheduleRequest extends Cadence {
  name: string;
  pipeline: string;
  version?: number;
  params: Record<string, unknown>;
  paused?: boolean;
  note?: string;
  createdBy: string | null;
}

/** What Sluice keeps on the Temporal schedule itself (its memo): Temporal is the only store. */
interface ScheduleMemo extends Cadence {
  taskQueue: string;
  pipeline: string;
  version: number;
  params: Record<string, unknown>;
  createdBy: string | null;
}

export const scheduleIdFor = (name: string): string => `sched-${name}`;

function memoOf(s: { memo?: Record<string, unknown> }): ScheduleMemo | undefined {
  return s.memo?.sluice as ScheduleMemo | undefined;
}

function toView(name: string, memo: ScheduleMemo, s: ScheduleSummary | ScheduleDescription): ScheduleView {
  return {
    name,
    scheduleId: s.scheduleId,
    pipeline: memo.pipeline,
    version: memo.version,
    params: memo.params,
    ...(memo.cron ? { cron: memo.cron } : {}),
    ...(memo.every ? { every: memo.every } : {}),
    ...(memo.timezone ? { timezone: memo.timezone } : {}),
    paused: s.state.paused,
    note: s.state.note || null,
    createdBy: memo.createdBy,
    nextRunTimes: s.info.nextActionTimes.map((d) => d.toISOString()),
    recentRuns: s.info.recentActions.map((a) => ({
      workflowId: a.action.workflow.workflowId,
      scheduledAt: a.scheduledAt.toISOString(),
      runId: null,
      status: null,
    })),
  };
}

/**
 * Creates a Temporal Schedule that starts `runPipeline` with a plan compiled now from the pinned
 * version. The run id is left empty: Temporal appends the fire time to the action's workflow id,
 * and the workflow derives its run id from that, so every fire is a distinct run.
 */
export async function createSchedule(ctx: RunContext, req: ScheduleRequest): Promise<ScheduleView> {
  const cadence = scheduleSpec(req);
  if (cadence.issues.length) throw new ValidationError(`invalid schedule ${req.name}`, cadence.issues);
  const pinned = await ctx.specs.version(req.pipeline, req.version);
  const { version } = pinned;
  const { params, plan } = planRun(pinned, req.params);
  const input: RunPipelineInput = {
    runId: '',
    plan,
    trigger: 'schedule',
    ...(req.createdBy ? { createdBy: req.createdBy } : {}),
  };
  const memo: ScheduleMemo = {
    taskQueue: ctx.taskQueue,
    pipeline: req.pipeline,
    version,
    params,
    createdBy: req.createdBy,
    ...(req.cron ? { cron: req.cron } : {}),
    ...(req.every ? { every: req.every } : {}),
    ...(req.timezone ? { timezone: req.timezone } : {}),
  };
  try {
    await ctx.temporal.schedule.create({
      scheduleId: scheduleIdFor(req.name),
      spec: 'spec' in cadence ? cadence.spec : {},
      action: {
        type: 'startWorkflow',
        workflowType: 'runPipeline',
        taskQueue: ctx.taskQueue,
        args: [input],
        workflowId: workflowIdFor(scheduleIdFor(req.name)),
        typedSearchAttributes: [
          { key: PipelineNameKey, value: req.pipeline },
          { key: TriggerKey, value: 'schedule' },
        ],
      },
      memo: { sluice: memo },
      typedSearchAttributes: [{ key: PipelineNameKey, value: req.pipeline }],
      state: { paused: req.paused ?? false, ...(req.note ? { note: req.note } : {}) },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) throw new ConflictError(`schedule "${req.name}" already exists`);
    throw err;
  }
  return getSchedule(ctx, req.name);
}

/** The schedule's handle, after checking it exists and belongs to this deployment's task queue. */
async function describe(ctx: RunContext, name: string) {
  const handle = ctx.temporal.schedule.getHandle(scheduleIdFor(name));
  try {
    const d = await handle.describe();
    const memo = memoOf(d);
    if (!memo || memo.taskQueue !== ctx.taskQueue) throw new NotFoundError('schedule', name);
    return { handle, d, memo };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new NotFoundError('schedule', name);
    throw err;
  }
}

export async function getSchedule(ctx: RunContext, name: string): Promise<ScheduleView> {
  const { d, memo } = await describe(ctx, name);
  const view = toView(name, memo, d);
  const runs = new Map(
    (
      await runsByWorkflowIds(
        ctx.db,
        view.recentRuns.map((r) => r.workflowId),
      )
    ).map((r) => [r.workflow_id, r]),
  );
  for (const r of view.recentRuns) {
    const run = runs.get(r.workflowId);
    if (run) Object.assign(r, { runId: run.id, status: run.status });
  }
  return view;
}

/** Temporal's schedule list is eventually consistent: a schedule created a moment ago may be missing. */
export async function listSchedules(ctx: RunContext, f: { pipeline?: string } = {}): Promise<ScheduleView[]> {
  const out: ScheduleView[] = [];
  const query = f.pipeline ? `${PipelineNameKey.name} = '${f.pipeline.replace(/'/g, '')}'` : undefined;
  for await (const s of ctx.temporal.schedule.list(query ? { query } : {})) {
    const memo = memoOf(s);
    if (!memo || memo.taskQueue !== ctx.taskQueue || !s.scheduleId.startsWith('sched-')) continue;
    out.push(toView(s.scheduleId.slice('sched-'.length), memo, s));
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export async function pauseSchedule(ctx: RunContext, name: string, note?: string): Promise<void> {
  const { handle } = await describe(ctx, name);
  await handle.pause(note ?? 'paused through the Sluice API');
}

export async function resumeSchedule(ctx: RunContext, name: string, note?: string): Promise<void> {
  const { handle } = await describe(ctx, name);
  await handle.unpause(note ?? 'resumed through the Sluice API');
}

/** Fires now, whatever the cadence or pause state; overlapping runs are allowed for a manual trigger. */
export async function triggerSchedule(ctx: RunContext, name: string): Promise<void> {
  const { handle } = await describe(ctx, name);
  await handle.trigger('ALLOW_ALL');
}

export async function deleteSchedule(ctx: RunContext, name: string): Promise<void> {
  const { handle } = await describe(ctx, name);
  await handle.delete();
}
