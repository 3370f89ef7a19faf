import { Command } from 'commander';
import type { ApprovalResult } from '../../core/runs/approval-update.js';
import { contextOf } from '../context.js';
import { colors, out, printJson } from '../output.js';
import type { RunView } from '../types.js';

/** The step to decide: the one named, else the only one awaiting approval. */
function pickStep(run: RunView, named: string | undefined): string {
  if (named) return named;
  const waiting = run.steps.filter((s) => s.status === 'awaiting-approval').map((s) => s.id);
  if (waiting.length === 1) return waiting[0]!;
  throw new Error(
    waiting.length === 0
      ? `run ${run.id} has no step awaiting approval (it is ${run.status})`
      : `run ${run.id} has several steps awaiting approval (${waiting.join(', ')}): name one`,
  );
}

export function approveCommand(): Command {
  return new Command('approve')
    .description('Approve (or --reject) a step that awaits approval')
    .argument('<run>')
    .argument('[step]', 'the approve step (default: the only one awaiting approval)')
    .option('--reject', "reject instead: the run ends with outcome 'rejected'")
    .option('-m, --message <comment>', 'why (recorded with the decision)')
    .action(async (runId: string, named: string | undefined, o: { reject?: boolean; message?: string }, c: Command) => {
      const { client, json } = contextOf(c);
      const step = pickStep(await client.json<RunView>('GET', `/v1/runs/${runId}`), named);
      const r = await client.json<ApprovalResult>(
        'POST',
        `/v1/runs/${runId}/steps/${step}/${o.reject ? 'reject' : 'approve'}`,
        { body: o.message ? { comment: o.message } : {} },
      );
      if (json) return printJson(r);
      const how = r.decision === 'approved' ? colors.green('approved') : colors.red('rejected');
      out(`${how} step ${colors.bold(step)} of run ${colors.bold(runId)}${r.repeated ? colors.dim(' (already)') : ''}`);
    });
}
