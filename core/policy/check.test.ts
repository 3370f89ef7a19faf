import { describe, expect, it } from 'vitest';
import { parsePipelineSpec } from '../pipeline/validate.js';
import type { PipelineSpec } from '../pipeline/schema.js';
import { compilePlan } from '../pipeline/plan.js';
import { checkPlanStep, checkServer, checkSpec, violationIssues } from './check.js';
import { OPEN_POLICY, resolvePolicy, type StepPolicy } from './schema.js';

const strict: StepPolicy = {
  ...OPEN_POLICY,
  executors: ['docker'],
  imagePrefixes: ['sluice/', 'registry.local/ml/'],
  maxCpu: 2,
  maxMemoryMb: 1024,
  maxTimeoutMs: 600_000,
};

function spec(step: Record<string, unknown>, settings: Record<string, unknown> = {}): PipelineSpec {
  const parsed = parsePipelineSpec({
    apiVersion: 'sluice/v1',
    name: 'p',
    settings,
    steps: [
      { id: 'ok', image: 'sluice/busybox:1', executor: 'docker', timeout: '1m' },
      { id: 's', timeout: '5m', ...step },
    ],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

describe('checkSpec', () => {
  it.each([
    ['executor named by the step', { image: 'sluice/x', executor: 'process' }, {}, 'executor'],
    ['executor from the settings', { image: 'sluice/x' }, { executor: 'process' }, 'executor'],
    ['image outside the prefixes', { image: 'docker.io/evil:1' }, {}, 'image'],
    ['a prefix must match at the start', { image: 'evil/sluice/x' }, {}, 'image'],
    ['host network', { image: 'sluice/x', network: 'host' }, {}, 'network'],
    ['cpu above the maximum', { image: 'sluice/x', resources: { cpu: 2.5 } }, {}, 'cpu'],
    ['memory above the maximum', { image: 'sluice/x', resources: { memory: '2Gi' } }, {}, 'memory'],
    ['timeout above the maximum', { image: 'sluice/x', timeout: '11m' }, {}, 'timeout'],
    ['the default timeout (1h) counts', { image: 'sluice/x', timeout: undefined }, {}, 'timeout'],
  ])('refuses %s', (_what, step, settings, rule) => {
    const violations = checkSpec(strict, spec(step, settings));
    expect(violations).toEqual([{ step: 's', rule, message: expect.any(String) }]);
  });

  it.each([
    ['everything at the limits', { image: 'registry.local/ml/t:1', resources: { cpu: 2, memory: '1Gi' } }],
    ['network none asked for', { image: 'sluice/x', network: 'none' }],
    ['no resources asked for', { image: 'sluice/x' }],
  ])('accepts %s', (_what, step) => {
    expect(checkSpec(strict, spec(step))).toEqual([]);
  });

  it('lists every violation of every step, each naming its step and rule', () => {
    const s = spec({ image: 'evil', executor: 'kubernetes', network: 'host', resources: { cpu: 9, memory: '9Gi' } });
    const violations = checkSpec(strict, s);
    expect(violations.map((v) => `${v.step}:${v.rule}`)).toEqual([
      's:executor',
      's:image',
      's:network',
      's:cpu',
      's:memory',
    ]);
    expect(violationIssues(s, violations).map((i) => i.path)).toEqual([
      '$.steps[1].executor',
      '$.steps[1].image',
      '$.steps[1].network',
      '$.steps[1].resources.cpu',
      '$.steps[1].resources.memory',
    ]);
    expect(violationIssues(s, violations)[0]!.message).toMatch(/^step s: policy rule "executor": the kubernetes/);
  });

  it('polices an evaluate step as the container it runs', () => {
    const evaluate = {
      kind: 'evaluate',
      image: 'docker.io/evil:1',
      network: 'host',
      model: 'models:/m/1',
      data: 'datasets:/d/1',
    };
    expect(checkSpec(strict, spec(evaluate)).map((v) => `${v.step}:${v.rule}`)).toEqual(['s:image', 's:network']);
  });

  it('does not ask a process step for an image prefix', () => {
    expect(
      checkSpec({ ...strict, executors: ['docker', 'process'] }, spec({ image: 'none', executor: 'process' })),
    ).toEqual([]);
  });

  it('allows the process executor in the embedded stack only, unless configured', () => {
    const settings = { hostNetwork: false, allowRoot: false, user: { uid: 1, gid: 1 } };
    expect(resolvePolicy(settings, { embedded: true }).executors).toContain('process');
    expect(resolvePolicy(settings, { embedded: false }).executors).not.toContain('process');
    expect(resolvePolicy({ ...settings, executors: ['process'] }, { embedded: false }).executors).toEqual(['process']);
  });
});

describe('checkPlanStep', () => {
  it('checks the executor the worker resolved, and the compiled limits', () => {
    const plan = compilePlan(
      spec({ image: 'sluice/x', network: 'host', resources: { memory: '2Gi' } }),
      {},
      { version: 1 },
    );
    const step = plan.steps.find((s) => s.id === 's')!;
    if (step.kind !== 'container') throw new Error('expected a container step');
    expect(checkPlanStep(strict, step, 'process').map((v) => v.rule)).toEqual(['executor', 'network', 'memory']);
    expect(checkPlanStep(OPEN_POLICY, step, 'docker').map((v) => v.rule)).toEqual(['network']);
  });
});

describe('model servers', () => {
  const server = (s: Record<string, unknown>) => ({ command: ['python3', 'serve.py'], readyTimeoutSeconds: 120, ...s });
  const hostOk: StepPolicy = { ...strict, hostNetwork: true };

  it('polices a server as the user code it is: executor, image, cpu, memory; no timeout', () => {
    expect(checkServer(hostOk, server({ executor: 'docker', image: 'sluice/serve:1' }))).toEqual([]);
    const issues = checkServer(
      hostOk,
      server({ executor: 'docker', image: 'docker.io/x:1', resources: { cpu: 4, memory: '2Gi' } }),
      '$.spec.',
    );
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      ['$.spec.server.image', 'image'],
      ['$.spec.server.resources.cpu', 'cpu'],
      ['$.spec.server.resources.memory', 'memory'],
    ]);
    // A process server (the default executor) where only docker is allowed.
    expect(checkServer(hostOk, server({})).map((i) => [i.path, i.rule])).toEqual([['$.server.executor', 'executor']]);
  });

  it('needs host networking for a container server, and says why', () => {
    const [issue, ...rest] = checkServer({ ...OPEN_POLICY }, server({ executor: 'docker', image: 'sluice/serve:1' }));
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ path: '$.server.executor', rule: 'network' });
    expect(issue!.message).toMatch(/host network.*serve it as a process or allow hostNetwork/);
    expect(checkServer(OPEN_POLICY, server({ executor: 'process' }))).toEqual([]);
  });

  it("checks a deploy step's inline server when the pipeline is applied, naming the step's field", () => {
    const parsed = parsePipelineSpec({
      apiVersion: 'sluice/v1',
      name: 'p',
      steps: [
        { id: 'train', image: 'sluice/x:1', executor: 'docker', timeout: '5m' },
        {
          id: 'ship',
          kind: 'deploy',
          deployment: 'wine',
          model: 'models:/wine@champion',
          spec: { model: 'wine', server: { executor: 'docker', image: 'evil/serve:1', command: ['serve'] } },
        },
      ],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const violations = checkSpec(hostOk, parsed.spec);
    expect(violations.map((v) => [v.step, v.rule])).toEqual([['ship', 'image']]);
    expect(violationIssues(parsed.spec, violations).map((i) => i.path)).toEqual(['$.steps[1].spec.server.image']);
  });
});
