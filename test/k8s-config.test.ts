import { describe, expect, it } from 'vitest';
import { KubernetesExecutor } from '../activities/executors/kubernetes.js';
import { createArtifactStore } from '../core/artifacts/index.js';
import { loadConfig } from '../core/config.js';
import { parsePipelineSpec } from '../core/pipeline/index.js';
import { OPEN_POLICY } from '../core/policy/schema.js';
import { buildExecutors } from '../workers/executors.js';
import { K8S_TEST_NAMESPACE, workerKubeconfigPath } from './support/k8s.js';

describe('choosing the kubernetes executor', () => {
  it('reads SLUICE_EXECUTOR=kubernetes and the SLUICE_K8S_* variables, naming a bad one', () => {
    const c = loadConfig({
      SLUICE_EXECUTOR: 'kubernetes',
      SLUICE_K8S_KUBECONFIG: '/etc/sluice/kubeconfig',
      SLUICE_K8S_NAMESPACE: 'ml-steps',
      SLUICE_K8S_IMAGE_PULL_POLICY: 'Never',
    });
    expect(c.executor).toMatchObject({
      kind: 'kubernetes',
      kubernetes: { kubeconfig: '/etc/sluice/kubeconfig', namespace: 'ml-steps', imagePullPolicy: 'Never' },
    });
    expect(loadConfig({}).executor.kubernetes).toEqual({
      imagePullPolicy: 'IfNotPresent',
      transfer: 'hostpath',
      servingAddress: 'service',
    });
    expect(loadConfig({ SLUICE_K8S_SERVING_ADDRESS: 'node-loopback' }).executor.kubernetes.servingAddress).toBe(
      'node-loopback',
    );
    expect(() => loadConfig({ SLUICE_K8S_SERVING_ADDRESS: 'nodeport' })).toThrow(/SLUICE_K8S_SERVING_ADDRESS/);
    expect(() => loadConfig({ SLUICE_K8S_NAMESPACE: 'Not_A_Namespace' })).toThrow(/SLUICE_K8S_NAMESPACE/);
    expect(() => loadConfig({ SLUICE_K8S_IMAGE_PULL_POLICY: 'Sometimes' })).toThrow(/SLUICE_K8S_IMAGE_PULL_POLICY/);
  });

  it('reads SLUICE_K8S_TRANSFER: store needs the S3 artifact store, said clearly', async () => {
    expect(() => loadConfig({ SLUICE_K8S_TRANSFER: 'store' })).toThrow(
      /SLUICE_K8S_TRANSFER=store needs .*SLUICE_S3_BUCKET/,
    );
    expect(() => loadConfig({ SLUICE_K8S_TRANSFER: 'nfs' })).toThrow(/SLUICE_K8S_TRANSFER/);
    const env = {
      SLUICE_EXECUTOR: 'kubernetes',
      SLUICE_K8S_KUBECONFIG: workerKubeconfigPath,
      SLUICE_K8S_TRANSFER: 'store',
      SLUICE_K8S_TRANSFER_IMAGE: 'registry.internal/sluice/transfer:1',
      SLUICE_S3_BUCKET: 'sluice-artifacts',
      SLUICE_S3_ENDPOINT: 'http://127.0.0.1:19000',
    };
    const c = loadConfig(env);
    expect(c.executor.kubernetes).toMatchObject({
      transfer: 'store',
      transferImage: 'registry.internal/sluice/transfer:1',
    });
    const built = await buildExecutors(c.executor, OPEN_POLICY, { artifacts: createArtifactStore(c.artifacts) });
    expect((built.executors.kubernetes as KubernetesExecutor).transferMode).toBe('store');
    const hostpath = await buildExecutors(
      loadConfig({ ...env, SLUICE_K8S_TRANSFER: 'hostpath' }).executor,
      OPEN_POLICY,
    );
    expect((hostpath.executors.kubernetes as KubernetesExecutor).transferMode).toBe('hostpath');
  });

  it('is the default with SLUICE_EXECUTOR=kubernetes, and there for steps that ask once a kubeconfig is set', async () => {
    const k8sOnly = loadConfig({ SLUICE_EXECUTOR: 'kubernetes', SLUICE_K8S_KUBECONFIG: workerKubeconfigPath });
    const built = await buildExecutors(k8sOnly.executor, OPEN_POLICY);
    expect(built.defaultExecutor).toBe('kubernetes');
    expect(built.executors.kubernetes).toBeInstanceOf(KubernetesExecutor);
    // The namespace comes from the kubeconfig's context when SLUICE_K8S_NAMESPACE is unset.
    expect((built.executors.kubernetes as KubernetesExecutor).namespace).toBe(K8S_TEST_NAMESPACE);

    const perStep = loadConfig({ SLUICE_EXECUTOR: 'process', SLUICE_K8S_KUBECONFIG: workerKubeconfigPath });
    const both = await buildExecutors(perStep.executor, OPEN_POLICY);
    expect(both.defaultExecutor).toBe('process');
    expect(Object.keys(both.executors).sort()).toEqual(['kubernetes', 'process']);

    const none = await buildExecutors(loadConfig({ SLUICE_EXECUTOR: 'process' }).executor, OPEN_POLICY);
    expect(none.executors.kubernetes).toBeUndefined();
  });

  it("checks a step's secrets: names the field of a bad Secret name, key or env var", () => {
    const spec = (secret: string, key = 'token', env = 'TOKEN') =>
      parsePipelineSpec(
        `apiVersion: sluice/v1\nname: s\nsteps:\n  - id: a\n    image: x\n    executor: kubernetes\n` +
          `    secrets: [{ env: ${env}, secret: "${secret}", key: "${key}" }]\n`,
      );
    expect(spec('hf-token').ok).toBe(true);
    const paths = (r: ReturnType<typeof spec>) => (r.ok ? [] : r.errors.map((e) => e.path));
    expect(paths(spec('Not_Valid'))).toEqual(['$.steps[0].secrets[0].secret']);
    expect(paths(spec('ok', 'bad key/'))).toEqual(['$.steps[0].secrets[0].key']);
    expect(paths(spec('ok', 'k', 'SLUICE_X'))).toEqual(['$.steps[0].secrets[0].env']);
  });
});
