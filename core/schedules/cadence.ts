import type { ScheduleSpec } from '@temporalio/client';
import { CronExpressionParser } from 'cron-parser';
import type { FieldIssue } from '../errors.js';
import { parseDuration } from '../pipeline/index.js';

export interface Cadence {
  /** A five-field cron expression (minute hour day month weekday) or an alias such as @daily. */
  cron?: string;
  /** An interval such as `15m` or `6h`. */
  every?: string;
  /** IANA time zone for cron (default UTC). */
  timezone?: string;
}

const ALIASES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const MIN_INTERVAL_MS = 1000;

/** Checks the cadence and turns it into a Temporal ScheduleSpec; issues name the offending field. */
export function scheduleSpec(c: Cadence): { spec: ScheduleSpec; issues: [] } | { issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  if ((c.cron === undefined) === (c.every === undefined)) {
    return { issues: [{ path: '$.cron', message: 'give exactly one of cron or every' }] };
  }
  if (c.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: c.timezone });
    } catch {
      issues.push({
        path: '$.timezone',
        message: `unknown time zone ${JSON.stringify(c.timezone)}; use an IANA name such as Europe/Paris`,
      });
    }
  }
  if (c.cron !== undefined) {
    const expr = c.cron.trim();
    const fields = expr.split(/\s+/);
    if (!ALIASES.includes(expr) && fields.length !== 5) {
      issues.push({
        path: '$.cron',
        message: `expected five fields (minute hour day-of-month month day-of-week) or one of ${ALIASES.join(', ')}`,
      });
    } else {
      try {
        CronExpressionParser.parse(expr, { tz: 'UTC' });
      } catch (err) {
        issues.push({ path: '$.cron', message: (err as Error).message });
      }
    }
    if (issues.length) return { issues };
    return { spec: { cronExpressions: [expr], ...(c.timezone ? { timezone: c.timezone } : {}) }, issues: [] };
  }
  let every = 0;
  try {
    every = parseDuration(c.every!);
  } catch (err) {
    issues.push({ path: '$.every', message: (err as Error).message });
  }
  if (!issues.length && every < MIN_INTERVAL_MS) issues.push({ path: '$.every', message: 'must be at least 1s' });
  if (issues.length) return { issues };
  return { spec: { intervals: [{ every }] }, issues: [] };
}
