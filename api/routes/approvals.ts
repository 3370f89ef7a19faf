import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApprovalDecisionKind } from '../../core/runs/approval-update.js';
import { decideStep } from '../../core/runs/approvals.js';
import { approvalBody, approvalParams, approvalResult } from '../schemas/approvals.js';
import { problems } from '../schemas/common.js';

const ROUTES: Array<{ path: string; decision: ApprovalDecisionKind; summary: string }> = [
  {
    path: '/runs/:id/steps/:step/approve',
    decision: 'approved',
    summary: 'Approve a step that awaits approval; the run goes on (403 when the step needs another approver)',
  },
  {
    path: '/runs/:id/steps/:step/reject',
    decision: 'rejected',
    summary: "Reject a step that awaits approval; the run ends with outcome 'rejected', its dependants skipped",
  },
];

export const approvalRoutes: FastifyPluginAsyncZod = async (app) => {
  const ctx = app.runContext;
  for (const r of ROUTES) {
    app.post(
      r.path,
      {
        config: { role: 'operator' },
        schema: {
          tags: ['runs'],
          summary: r.summary,
          description: 'Deciding again with the same decision answers 200 with `repeated: true`; the other one, 409.',
          params: approvalParams,
          body: approvalBody,
          response: { 200: approvalResult, ...problems(400, 404, 409, 429, 503) },
        },
      },
      async (req) =>
        decideStep(
          ctx,
          req.params.id,
          { step: req.params.step, decision: r.decision, ...(req.body.comment ? { comment: req.body.comment } : {}) },
          { actor: req.actor, name: req.principal?.name ?? req.actor.actor, keyId: req.principal?.keyId },
        ),
    );
  }
};
