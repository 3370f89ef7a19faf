import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesExecutor } from '../activities/executors/kubernetes.js';
import { StoreTransfer } from '../activities/executors/kubernetes-transfer.js';
import { S3ArtifactStore } from '../core/artifacts/s3.js';
import { useHarness } from './support/harness.js';
import { runGone, workerKubeConfig } from './support/k8s.js';
import { testS3Client, testServices, uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

const BUSYBOX = testServices.images.busybox;
const client = testS3Client();
const bucket = uniqueId('k8s-store');
const store = new S3ArtifactStore({ client, bucket, prefix: 'artifacts' });

// The whole path with SLUICE_K8S_TRANSFER=store: the worker registers and caches outputs exactly as
// with hostPath volumes, only the bytes travel through MinIO. Steps use the node's network: MinIO
// listens on the host's loopback.
describe('runPipeline with Kubernetes steps that move their files through the store', { timeout: 180_000 }, () => {
  const h = useHarness({ artifacts: store });

  beforeAll(async () => {
    await store.ensureBucket();
    const kubernetes = new KubernetesExecutor({ kubeConfig: workerKubeConfig(), transfer: new StoreTransfer(store) });
    // The policy must allow the node's network, as SLUICE_POLICY_HOST_NETWORK=true does.
    const policy = { ...h.deps.policy, hostNetwork: true };
    await h.startInProcessWorker({ executors: { ...h.deps.executors, kubernetes }, policy });
  });
  afterAll(async () => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const o of listed.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  });

  it("passes one Job's outputs to the next as inputs; outputs are registered in the store", async () => {
    const input = runInput(
      planFrom(`
apiVersion: sluice/v1
name: k8s-store
steps:
  - id: a
    image: ${BUSYBOX}
    executor: kubernetes
    network: host
    command: [sh, -c, 'mkdir /sluice/outputs/model; echo weights > /sluice/outputs/model/w.txt; echo "{\\"n\\": 2}" > /sluice/outputs/metrics.json']
    outputs: [model, metrics.json]
  - id: b
    image: ${BUSYBOX}
    executor: kubernetes
    network: host
    command: [sh, -c, 'tr a-z A-Z < /sluice/inputs/model/w.txt > /sluice/outputs/upper']
    inputs: { model: steps.a.outputs.model }
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
    expect(upper.uri).toMatch(new RegExp(`^s3://${bucket}/artifacts/sha256/`));
    const body = await store.open(upper.uri);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('WEIGHTS\n');
    await waitFor('the Jobs to go', () => runGone(input.runId), 60_000);
    // The transfer objects went with the Jobs; the artifacts stay.
    const left = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'artifacts/transfer/' }));
    expect(left.Contents ?? []).toEqual([]);
  });
});
