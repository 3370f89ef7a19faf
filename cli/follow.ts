import { approveCommand } from '../core/runs/approval-update.js';
import type { ApiClient } from './client.js';
import { colors, duration, out, status } from './output.js';
import { isTransient, Reconnect } from './reconnect.js';
import { isActiveRun, type RunView, type StepView } from './types.js';

const POLL_MS = 500;
const TAIL_LINES = 15;
const SETTLE_POLLS = 4;
/** The workflow's failure message carries a few output lines after this marker. */
const TAIL_MARKER = '; last output:';

const ICONS: Record<string, string> = {
  running: colors.blue('▸'),
  succeeded: colors.green('✓'),
  cached: colors.cyan('↺'),
  failed: colors.red('✗'),
  skipped: colors.dim('–'),
  cancelled: colors.yellow('■'),
  'awaiting-approval': colors.magenta('?'),
};

function describeStep(s: StepView): string {
  const parts = [status(s.status)];
  if (s.attempt > 1) parts.push(colors.dim(`attempt ${s.attempt}`));
  if (s.durationMs !== null && s.status !== 'running') parts.push(duration(s.durationMs));
  if (s.cachedFromRun) parts.push(colors.dim(`from ${s.cachedFromRun}`));
  const metrics = Object.entries(s.metrics)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  if (metrics) parts.push(colors.dim(metrics));
  if (s.error) parts.push(colors.red(s.error.split('\n')[0]!.replace(TAIL_MARKER, '')));
  return parts.join('  ');
}

/**
 * Polls the run and prints each step's state changes until the run ends; returns the final view.
 * An API restart is waited out (see Reconnect). `quiet` (for --json) prints nothing.
 */
export async function followRun(client: ApiClient, runId: string, quiet = false): Promise<RunView> {
  const seen = new Map<string, string>();
  const width = { id: 0 };
  let settling = 0;
  const reconnect = new Reconnect(`following run ${runId}`);
  for (;;) {
    let run: RunView;
    try {
      run = await client.json<RunView>('GET', `/v1/runs/${runId}`);
    } catch (e) {
      // The run goes on while the API restarts: re-reading its state picks up where we were.
      if (!isTransient(e)) throw e;
      await reconnect.wait(e);
      continue;
    }
    reconnect.ok();
    width.id = Math.max(width.id, ...run.steps.map((s) => s.id.length));
    for (const s of run.steps) {
      // Attempt 0 is a row the workflow wrote before the step's own activity counted its attempt.
      const key = `${s.status}/${Math.max(s.attempt, 1)}`;
      if (seen.get(s.id) === key || s.status === 'pending') continue;
      seen.set(s.id, key);
      if (quiet) continue;
      out(`  ${ICONS[s.status] ?? ' '} ${s.id.padEnd(width.id)}  ${describeStep(s)}`);
      if (s.status === 'awaiting-approval') {
        const msg = typeof s.details?.message === 'string' ? `${s.details.message} ` : '';
        out(`    ${msg}${colors.dim(`approve: ${approveCommand(run.id, s.id)}  (or --reject)`)}`);
      }
    }
    // The live status can end a moment before the stored times land; wait a few polls for them.
    if (!isActiveRun(run.status) && (run.finishedAt || ++settling > SETTLE_POLLS)) return run;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export function printOutcome(run: RunView): void {
  const took =
    run.startedAt && run.finishedAt ? ` in ${duration(Date.parse(run.finishedAt) - Date.parse(run.startedAt))}` : '';
  const why = run.error?.split('\n')[0]?.replace(TAIL_MARKER, '');
  out(`run ${colors.bold(run.id)} ${status(run.status)}${took}${why ? `: ${why}` : ''}`);
  if (run.outcome) out(`outcome: ${colors.bold(run.outcome)}${run.outcomeReason ? ` (${run.outcomeReason})` : ''}`);
}

/** The last lines of a step's log; when the log cannot be read, those the run's failure message carries. */
async function lastLines(client: ApiClient, run: RunView, step: StepView): Promise<string[]> {
  try {
    const res = await client.send('GET', `/v1/runs/${run.id}/steps/${step.id}/logs`, { query: { format: 'text' } });
    const lines = (await res.text()).split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-TAIL_LINES);
  } catch {
    const at = run.error?.indexOf(`${TAIL_MARKER}\n`) ?? -1;
    return at < 0
      ? []
      : run
          .error!.slice(at + TAIL_MARKER.length + 1)
          .split('\n')
          .slice(-TAIL_LINES);
  }
}

/** Under each failed step, the end of its output: usually the reason it failed. */
export async function printFailedSteps(client: ApiClient, run: RunView): Promise<void> {
  for (const step of run.steps.filter((s) => s.status === 'failed')) {
    const lines = await lastLines(client, run, step);
    if (!lines.length) continue;
    out(colors.dim(`last output of ${step.id} (sluice logs ${run.id} ${step.id} for all of it):`));
    for (const l of lines) out(`  ${colors.dim('│')} ${l}`);
  }
}
