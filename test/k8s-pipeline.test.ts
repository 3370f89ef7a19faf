import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesExecutor } from '../activities/executors/kubernetes.js';
import { getRunSteps } from '../core/runs/projection.js';
import { useHarness } from './support/harness.js';
import { createSecret, deleteSecret, runGone, workerKubeConfig } from './support/k8s.js';
import { testServices, uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

const BUSYBOX = testServices.images.busybox;
const secret = uniqueId('hf-token');

describe('runPipeline with Kubernetes steps', { timeout: 120_000 }, () => {
  const h = useHarness();

  beforeAll(async () => {
    await createSecret(secret, { token: 'from-the-cluster' });
    // The worker's own ServiceAccount; the process executor stays the default, steps choose.
    const kubernetes = new KubernetesExecutor({ kubeConfig: workerKubeConfig() });
    await h.startInProcessWorker({ executors: { ...h.deps.executors, kubernetes } });
  });
  afterAll(() => deleteSecret(secret));

  it('runs a Job step beside a process step, passing its output on; a Secret reaches only the pod', async () => {
    const input = runInput(
      planFrom(`
apiVersion: sluice/v1
name: k8s-mixed
steps:
  - id: a
    image: ${BUSYBOX}
    executor: kubernetes
    command: [sh, -c, 'echo "hello $WHO $TOKEN" > /sluice/outputs/text; echo "{\\"n\\": 2}" > /sluice/outputs/metrics.json']
    env: { WHO: k8s }
    secrets: [{ env: TOKEN, secret: ${secret}, key: token }]
    outputs: [text, metrics.json]
  - id: b
    image: none
    command: [sh, -c, 'tr a-z A-Z < "$SLUICE_INPUTS_DIR/text" > "$SLUICE_OUTPUTS_DIR/upper"']
    inputs: { text: steps.a.outputs.text }
    outputs: [upper]
`),
    );
    const { status, error } = await runToEnd(h, input);
    expect(error).toBeUndefined();
    expect(status!.steps.map((s) => [s.id, s.state])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
    ]);
    expect(status!.steps[0]!.metrics).toEqual({ n: 2 });
    const upper = status!.steps.find((s) => s.id === 'b')!.outputs.upper!;
    expect(await readFile(new URL(upper.uri).pathname, 'utf8')).toBe('HELLO K8S FROM-THE-CLUSTER\n');
    const rows = await getRunSteps(h.db, input.runId);
    expect(rows.map((r) => [r.step_id, r.executor]).sort()).toEqual([
      ['a', 'kubernetes'],
      ['b', 'process'],
    ]);
    // Released once its outputs were stored.
    await waitFor('the Job to go', () => runGone(input.runId), 60_000);
  });

  it('fails a Job step that exits non-zero, with its exit code and last output', async () => {
    const input = runInput(
      planFrom(`
apiVersion: sluice/v1
name: k8s-fails
steps:
  - id: bad
    image: ${BUSYBOX}
    executor: kubernetes
    command: [sh, -c, 'echo about to fail; exit 3']
`),
    );
    const { error } = await runToEnd(h, input);
    expect(error?.cause?.message).toMatch(/step bad failed: exited with code 3/);
    expect(error?.cause?.message).toMatch(/about to fail/);
    await waitFor('the Job to go', () => runGone(input.runId), 60_000);
  });

  it('refuses secrets on an executor that cannot resolve them, before running anything', async () => {
    const input = runInput(
      planFrom(`
apiVersion: sluice/v1
name: k8s-secret-elsewhere
steps:
  - id: p
    image: none
    command: ['true']
    secrets: [{ env: TOKEN, secret: ${secret}, key: token }]
`),
    );
    const { error } = await runToEnd(h, input);
    expect(error?.cause?.message).toMatch(/names Kubernetes Secrets .* process executor/);
  });
});
