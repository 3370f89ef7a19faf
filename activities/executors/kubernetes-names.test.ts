import { describe, expect, it } from 'vitest';
import { jobManifest, resourceLimits } from './kubernetes-job.js';
import { jobName, labelValue } from './kubernetes-names.js';
import { stepDirs } from './step-env.js';
import type { StepRunRequest } from './types.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe('jobName', () => {
  it('is a DNS-1123 label of at most 63 characters, readable and deterministic', () => {
    const name = jobName('run-abc123', 'train');
    expect(name).toMatch(/^sluice-run-abc123-train-[0-9a-f]{10}$/);
    expect(name).toBe(jobName('run-abc123', 'train'));
    for (const [run, step] of [
      ['Run_With.Odd/Chars ä', 'Step:1'],
      ['r'.repeat(300), 's'.repeat(300)],
      ['---', '___'],
      ['x', 'a-very-long-step-identifier-that-alone-would-not-fit-into-a-label-at-all'],
    ] as const) {
      const n = jobName(run, step);
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(DNS_LABEL);
    }
  });

  it('is injective where sanitising or cutting makes the readable parts equal', () => {
    expect(jobName('a-b', 'c')).not.toBe(jobName('a', 'b-c'));
    expect(jobName('Run', 'x')).not.toBe(jobName('run', 'x'));
    expect(jobName('r'.repeat(300), 's'.repeat(300))).not.toBe(jobName('r'.repeat(300), 's'.repeat(299)));
  });
});

describe('labelValue', () => {
  it('keeps valid ids and hashes the rest into valid label values', () => {
    expect(labelValue('run-1')).toBe('run-1');
    for (const id of ['-leading', 'with space', 'ä', 'x'.repeat(64), '_']) {
      const v = labelValue(id);
      expect(v.length).toBeLessThanOrEqual(63);
      expect(v).toMatch(LABEL_VALUE);
    }
    expect(labelValue('x'.repeat(64))).not.toBe(labelValue('x'.repeat(65)));
  });
});

describe('jobManifest', () => {
  const req = {
    runId: 'run-1',
    stepId: 'train',
    attempt: 2,
    image: 'sluice/busybox:1',
    command: ['sh', '-c', 'true'],
    args: [],
    env: { A: '1' },
    params: {},
    workDir: '/w',
    inputNames: [],
    outputNames: [],
    resources: { cpu: 0.5, memoryMb: 64, gpus: 1 },
    timeoutMs: 90_500,
    secrets: [{ env: 'TOKEN', secret: 'api', key: 'token' }],
  } as unknown as StepRunRequest;

  it('is a suspended Job without retries, with the deadline as a backstop, labels and secret references', () => {
    const job = jobManifest(req, stepDirs('/w'), {
      namespace: 'ns',
      imagePullPolicy: 'IfNotPresent',
      user: { uid: 65534, gid: 65534 },
      graceSeconds: 2,
    });
    expect(job.spec).toMatchObject({ suspend: true, backoffLimit: 0, activeDeadlineSeconds: 91 + 15 });
    expect(job.metadata?.labels).toMatchObject({ 'sluice.dev/run': 'run-1', 'sluice.dev/attempt': '2' });
    const pod = job.spec!.template.spec!;
    expect(pod).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: false });
    const c = pod.containers[0]!;
    expect(c.env).toContainEqual({ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } });
    expect(c.env).toContainEqual({ name: 'A', value: '1' });
    expect(c.volumeMounts).toContainEqual({ name: 'inputs', mountPath: '/sluice/inputs', readOnly: true });
    expect(c.resources).toEqual(resourceLimits(req.resources));
    expect(c.resources?.limits).toEqual({ cpu: '500m', memory: '64Mi', 'nvidia.com/gpu': '1' });
    expect(c.resources?.requests).toEqual(c.resources?.limits);
  });
});
