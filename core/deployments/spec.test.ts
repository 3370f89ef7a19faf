import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { judgeAlarms, p95FromCounts } from './alarms.js';
import { parseDeploymentSpec } from './parse.js';

const base = { name: 'wine', model: 'wine', server: { command: ['python3', 'serve.py'] } };

function issues(input: unknown, at: string[] = []): Array<{ path: string; message: string }> {
  try {
    parseDeploymentSpec(input, at);
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('deployment spec', () => {
  it('fills defaults: all at once, no bake, ready timeout 120 s, minRequests 1', () => {
    const spec = parseDeploymentSpec(base);
    expect(spec.rollout).toEqual({ strategy: 'all-at-once', bakeSeconds: 0 });
    expect(spec.server.readyTimeoutSeconds).toBe(120);
    expect(spec.alarms.minRequests).toBe(1);
  });

  it('reads YAML and validates monitoring and retrain with the drift schemas, naming a bad field', () => {
    const spec = parseDeploymentSpec(
      'name: wine\nmodel: wine\nserver: {command: [serve]}\nmonitoring: {intervalSeconds: 30}\nretrain: {pipeline: lifecycle}\n',
    );
    expect(spec.monitoring).toMatchObject({ enabled: true, intervalSeconds: 30, minWindow: 200, driftShare: 0.5 });
    expect(spec.retrain).toEqual({ pipeline: 'lifecycle', params: {}, cooldownHours: 24 });
    expect(issues({ ...base, monitoring: { interval: '5m' } })[0]!.path).toMatch(/^\$\.monitoring/);
  });

  it('names each bad field', () => {
    expect(issues({ ...base, name: 'Bad Name' }, ['spec']).map((i) => i.path)).toEqual(['$.spec.name']);
    expect(issues({ ...base, server: { command: [] } }).map((i) => i.path)).toEqual(['$.server.command']);
    expect(issues({ ...base, server: { command: ['x'], env: { SLUICE_PORT: '1' } } })[0]!.path).toBe(
      '$.server.env.SLUICE_PORT',
    );
    expect(issues({ ...base, server: { command: ['x'], executor: 'docker' } })[0]!.path).toBe('$.server.image');
    expect(issues({ ...base, server: { command: ['x'], executor: 'kubernetes' } })[0]).toEqual({
      path: '$.server.image',
      message: 'the kubernetes executor needs an image',
    });
    expect(issues({ ...base, rollout: { strategy: 'canary' } })[0]).toMatchObject({ path: '$.rollout.steps' });
    expect(issues({ ...base, rollout: { strategy: 'canary', steps: [10, 50] } })[0]!.message).toMatch(/last .* 100/);
    expect(issues({ ...base, smoke: { rows: [] } })[0]!.path).toBe('$.smoke.rows');
    expect(issues({ ...base, surprise: 1 })[0]).toEqual({ path: '$.surprise', message: "unknown field 'surprise'" });
    expect(issues('name: [unclosed')[0]!.message).toMatch(/^invalid YAML/);
  });
});

describe('rollout alarms', () => {
  it('p95 is the upper bound of the bucket holding the 95th percentile', () => {
    const counts = new Array(14).fill(0);
    counts[2] = 94; // <= 5 ms
    counts[6] = 6; // <= 100 ms
    expect(p95FromCounts(counts)).toBe(100);
    counts[6] = 0;
    counts[13] = 6; // above every bound
    expect(p95FromCounts(counts)).toBe(10001);
    expect(p95FromCounts(new Array(14).fill(0))).toBeNull();
  });

  it('judges only with enough requests, error rate before latency', () => {
    const alarms = { maxErrorRate: 0.05, maxP95Ms: 50, minRequests: 10 };
    expect(judgeAlarms({ requests: 9, errors: 9, p95Ms: 5000 }, alarms).ok).toBe(true);
    expect(judgeAlarms({ requests: 100, errors: 6, p95Ms: 5000 }, alarms)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^alarm: error rate 0\.060 > maxErrorRate 0\.05/),
    });
    expect(judgeAlarms({ requests: 100, errors: 5, p95Ms: 100 }, alarms)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^alarm: p95 100 ms > maxP95Ms 50/),
    });
    expect(judgeAlarms({ requests: 100, errors: 5, p95Ms: 50 }, alarms).ok).toBe(true);
  });
});
