// The gate kind, run in the workflow itself: a pure function of upstream progress (replay-safe).
import { ApplicationFailure } from '@temporalio/workflow';
import type { GateCheck, GatePlanStep } from '../../core/pipeline/kinds/gate.js';
import { FailureType } from '../../core/errors.js';
import type { StepResult } from '../../core/runs/contract.js';
import type { StepContext } from '../step-kinds.js';

type Verdict = 'passed' | 'failed' | 'skipped';

interface PartResult {
  bound: number;
  /** What was compared with the bound: the value, or its gain over the baseline. */
  actual?: number;
  verdict: Verdict;
  reason?: string;
}

export interface CheckResult {
  metric: string;
  direction: GateCheck['direction'];
  value: number;
  baseline: number | null;
  verdict: Verdict;
  threshold?: PartResult;
  minGain?: PartResult;
  minRelativeGain?: PartResult;
}

const fmt = (n: number): string => String(Number(n.toPrecision(6)));

function evaluateCheck(c: GateCheck, value: number, baseline: number | undefined): CheckResult {
  const higher = c.direction === 'higher';
  const out: CheckResult = {
    metric: c.metric,
    direction: c.direction,
    value,
    baseline: baseline ?? null,
    verdict: 'passed',
  };
  if (c.threshold !== undefined) {
    const ok = higher ? value >= c.threshold : value <= c.threshold;
    out.threshold = {
      bound: c.threshold,
      actual: value,
      verdict: ok ? 'passed' : 'failed',
      ...(ok ? {} : { reason: `${c.metric} ${fmt(value)} ${higher ? '<' : '>'} threshold ${fmt(c.threshold)}` }),
    };
  }
  const gain = baseline === undefined ? undefined : higher ? value - baseline : baseline - value;
  const noBaseline = { verdict: 'skipped' as const, reason: 'no baseline' };
  if (c.minGain !== undefined) {
    if (gain === undefined) out.minGain = { bound: c.minGain, ...noBaseline };
    else {
      const ok = gain >= c.minGain;
      out.minGain = {
        bound: c.minGain,
        actual: gain,
        verdict: ok ? 'passed' : 'failed',
        ...(ok
          ? {}
          : { reason: `${c.metric} gain ${fmt(gain)} over baseline ${fmt(baseline!)} < minGain ${fmt(c.minGain)}` }),
      };
    }
  }
  if (c.minRelativeGain !== undefined) {
    if (gain === undefined) out.minRelativeGain = { bound: c.minRelativeGain, ...noBaseline };
    else {
      // Relative to a zero baseline, any improvement is enough and any loss too much.
      const rel =
        baseline === 0 ? (gain > 0 ? Number.MAX_VALUE : gain < 0 ? -Number.MAX_VALUE : 0) : gain / Math.abs(baseline!);
      const ok = rel >= c.minRelativeGain;
      out.minRelativeGain = {
        bound: c.minRelativeGain,
        actual: rel,
        verdict: ok ? 'passed' : 'failed',
        ...(ok
          ? {}
          : {
              reason: `${c.metric} relative gain ${fmt(rel)} over baseline ${fmt(baseline!)} < minRelativeGain ${fmt(c.minRelativeGain)}`,
            }),
      };
    }
  }
  const parts = [out.threshold, out.minGain, out.minRelativeGain].filter((p) => p !== undefined);
  out.verdict = parts.some((p) => p.verdict === 'failed')
    ? 'failed'
    : parts.every((p) => p.verdict === 'skipped')
      ? 'skipped'
      : 'passed';
  return out;
}

function numbers(v: unknown): Record<string, number> | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

/** Checks every metric; a failed check halts the run's path with outcome `not-promoted` (not an error). */
export function runGate(step: GatePlanStep, ctx: Pick<StepContext, 'steps'>): StepResult {
  const source = ctx.steps.get(step.metricsFrom);
  const metrics = source?.metrics ?? {};
  const baseline = numbers(source?.details?.baselineMetrics);
  const checks = step.checks.map((c) => {
    const value = metrics[c.metric];
    if (value === undefined) {
      const known = Object.keys(metrics).sort().join(', ') || '(none)';
      throw ApplicationFailure.nonRetryable(
        `metric '${c.metric}' not found in the metrics of step ${step.metricsFrom}; it has: ${known}`,
        FailureType.InvalidStep,
      );
    }
    return evaluateCheck(c, value, baseline?.[c.metric]);
  });
  const failures = checks.flatMap((c) =>
    [c.threshold, c.minGain, c.minRelativeGain].flatMap((p) => (p?.verdict === 'failed' ? [p.reason!] : [])),
  );
  const passed = failures.length === 0;
  const result: StepResult = {
    status: 'succeeded',
    outputs: {},
    metrics: {},
    attempt: 1,
    durationMs: 0,
    details: {
      metricsFrom: step.metricsFrom,
      baseline: source?.details?.baseline ?? null,
      passed,
      checks,
    },
  };
  if (passed) return result;
  const reason = `gate failed: ${failures.join('; ')}`;
  return { ...result, outcome: 'not-promoted', outcomeReason: reason, haltReason: reason };
}
