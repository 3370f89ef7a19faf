import { Context } from '@temporalio/activity';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { INSTANCE_LOG, type CheckResult, type InstanceRef } from '../../core/deployments/instance.js';
import type { DeploymentSpec } from '../../core/deployments/spec.js';
import type { ActivityDeps } from '../deps.js';
import { instanceProblem } from './instances.js';

const POLL_MS = 250;
const REQUEST_TIMEOUT_MS = 5_000;
const SMOKE_TIMEOUT_MS = 30_000;

async function lastLogLines(inst: InstanceRef, n = 3): Promise<string> {
  const text = await readFile(path.join(inst.dir, INSTANCE_LOG), 'utf8').catch(() => '');
  const all = text.trimEnd().split('\n');
  // The log file is the instance directory's: only what this start wrote counts.
  let start = all.length - 1;
  while (start >= 0 && !all[start]!.startsWith('[sluice] starting')) start--;
  const lines = all.slice(start + 1).filter((l) => l && !l.startsWith('[sluice]'));
  return lines.slice(-n).join(' | ') || 'no output';
}

type Probe = { status: number; body: unknown } | { error: string };

async function getJson(url: string, init: RequestInit = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Probe> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: kept as text for the reason.
    }
    return { status: res.status, body };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { error: cause ?? (err as Error).message };
  }
}

const brief = (v: unknown) => JSON.stringify(v)?.slice(0, 200) ?? String(v);

/**
 * Polls GET /ready until it answers 200 naming exactly `version`. Fails (an outcome, not an error)
 * on another version, on the server's exit, or when `deadline` (epoch ms, fixed by the workflow so a
 * retried attempt does not start a new wait) passes.
 */
export function waitReadyActivity(deps: Pick<ActivityDeps, 'kubernetesServing'>) {
  return async function waitReady(i: { instance: InstanceRef; deadline: number }): Promise<CheckResult> {
    const { instance } = i;
    const ctx = Context.current();
    for (;;) {
      ctx.heartbeat();
      const r = await getJson(`${instance.url}/ready`);
      if ('status' in r && r.status === 200) {
        const named = (r.body as { version?: unknown } | null)?.version;
        if (named === instance.version) return { ok: true, detail: `ready: ${instance.model}/${instance.version}` };
        return {
          ok: false,
          reason: `readiness: /ready names version ${brief(named)}, expected ${instance.version}`,
        };
      }
      const last = 'status' in r ? `/ready answered ${r.status} ${brief(r.body)}` : `/ready: ${r.error}`;
      const problem = await instanceProblem(deps, instance);
      if (problem) return { ok: false, reason: `readiness: ${problem} (${await lastLogLines(instance)})` };
      if (Date.now() > i.deadline) {
        return { ok: false, reason: `readiness: not ready within the ready timeout (last: ${last})` };
      }
      await new Promise((res) => setTimeout(res, POLL_MS));
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    }
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** POSTs the spec's smoke rows to /predict: 200 with one prediction per row (equal to `expect` when given). */
export function smokeActivity() {
  return async function smoke(i: {
    instance: InstanceRef;
    smoke: NonNullable<DeploymentSpec['smoke']>;
  }): Promise<CheckResult> {
    const r = await getJson(
      `${i.instance.url}/predict`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: i.smoke.rows }) },
      SMOKE_TIMEOUT_MS,
    );
    if ('error' in r) return { ok: false, reason: `smoke: POST /predict failed: ${r.error}` };
    if (r.status !== 200) return { ok: false, reason: `smoke: POST /predict answered ${r.status} ${brief(r.body)}` };
    const predictions = (r.body as { predictions?: unknown } | null)?.predictions;
    if (!Array.isArray(predictions) || predictions.length !== i.smoke.rows.length)
      return {
        ok: false,
        reason: `smoke: expected ${i.smoke.rows.length} prediction(s), got ${brief(predictions)}`,
      };
    if (i.smoke.expect && !sameJson(predictions, i.smoke.expect))
      return { ok: false, reason: `smoke: predictions ${brief(predictions)}, expected ${brief(i.smoke.expect)}` };
    return { ok: true, detail: `smoke: ${predictions.length} prediction(s) ${brief(predictions)}` };
  };
}
