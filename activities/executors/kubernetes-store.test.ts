import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesExecutor } from './kubernetes.js';
import { jobName } from './kubernetes-names.js';
import { StoreTransfer } from './kubernetes-transfer.js';
import { ExecutorError, type StepRunRequest } from './types.js';
import { S3ArtifactStore } from '../../core/artifacts/s3.js';
import { linesOf, newStep, readOutput, removeWorkDirs, spawnExecutorProcess } from '../../test/support/executors.js';
import { jobsOf, runGone, runningPod, workerKubeConfig } from '../../test/support/k8s.js';
import { testS3Client, testServices, uniqueId } from '../../test/support/services.js';
import { waitFor } from '../../test/support/wait.js';

// SLUICE_K8S_TRANSFER=store against the test MinIO and the local cluster. MinIO listens on the
// host's loopback, which the pod network cannot reach: the steps here use the node's network.
const kubeConfig = workerKubeConfig();
const client = testS3Client();
const bucket = uniqueId('xfer');
const PREFIX = 'sluice';
const store = new S3ArtifactStore({ client, bucket, prefix: PREFIX });
const executor = new KubernetesExecutor({ kubeConfig, transfer: new StoreTransfer(store) });
const GONE_MS = 60_000;

const storeStep = (script: string, overrides: Partial<StepRunRequest> = {}) =>
  newStep({ command: ['sh', '-c', script], network: 'host', ...overrides });

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

/** Every volume of the Job's pod template, and every mount of its containers. */
function volumesOf(job: V1Job) {
  const pod = job.spec!.template.spec!;
  return {
    volumes: pod.volumes ?? [],
    containers: [...(pod.initContainers ?? []), ...pod.containers],
  };
}

beforeAll(() => store.ensureBucket());
afterAll(async () => {
  await removeWorkDirs();
  for (const key of await keysUnder('')) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  client.destroy();
});

describe('KubernetesExecutor, SLUICE_K8S_TRANSFER=store', { timeout: 180_000 }, () => {
  it('fetches inputs and the code package, uploads outputs through the store; no hostPath, no credentials', async () => {
    const { req, logs } = await storeStep(
      'pwd; cat /sluice/inputs/data.txt /sluice/inputs/features/a.csv; sh ./train.sh; ' +
        'echo changed > /sluice/inputs/data.txt 2>/dev/null && echo inputs-writable || echo inputs-read-only; ' +
        'touch x 2>/dev/null && echo code-writable || echo code-read-only; ' +
        'echo model > /sluice/outputs/model.txt; mkdir -p /sluice/outputs/eval/deep; echo r > /sluice/outputs/eval/deep/r.txt; ' +
        'echo "{\\"acc\\": 0.91}" > /sluice/outputs/metrics.json; id -u',
      { keepFinished: true },
    );
    await writeFile(path.join(req.workDir, 'inputs', 'data.txt'), 'hello\n');
    await mkdir(path.join(req.workDir, 'inputs', 'features'));
    await writeFile(path.join(req.workDir, 'inputs', 'features', 'a.csv'), 'x,y\n1,2\n');
    const codeDir = path.join(req.workDir, 'code');
    await mkdir(codeDir);
    await writeFile(path.join(codeDir, 'train.sh'), 'echo "code says $SLUICE_CODE_DIR"\n');
    await mkdir(path.join(req.workDir, 'outputs'));
    await writeFile(path.join(req.workDir, 'outputs', 'stale'), 'from an earlier attempt');

    const result = await executor.run({ ...req, codeDir });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, reattached: false });
    expect(linesOf(logs, 'stdout').filter((l) => !l.startsWith('sh:'))).toEqual([
      '/sluice/code',
      'hello',
      'x,y',
      '1,2',
      'code says /sluice/code',
      'inputs-read-only',
      'code-read-only',
      '65534',
    ]);
    // The outputs arrived on the worker as if the pod had written them there.
    expect(await readOutput(req, 'model.txt')).toBe('model\n');
    expect(await readOutput(req, 'eval/deep/r.txt')).toBe('r\n');
    expect(JSON.parse(await readOutput(req, 'metrics.json'))).toEqual({ acc: 0.91 });
    expect((await readdir(path.join(req.workDir, 'outputs'))).sort()).toEqual(['eval', 'metrics.json', 'model.txt']);

    // The kept Job, read back from the API: emptyDirs only, presigned URLs, no store credentials.
    const [job] = await jobsOf(req.runId);
    const { volumes, containers } = volumesOf(job!);
    expect(volumes.filter((v) => v.hostPath)).toEqual([]);
    expect(volumes.map((v) => v.name).sort()).toEqual(['code', 'inputs', 'outputs', 'transfer']);
    expect(containers.map((c) => c.name)).toEqual(['fetch', 'step']);
    const spec = JSON.stringify(job);
    expect(spec).not.toContain(testServices.s3.secretAccessKey);
    expect(spec).toContain('X-Amz-Signature');
    expect(spec).not.toContain(req.workDir);
    // The outputs tar is in the store until the step is released.
    const name = jobName(req.runId, req.stepId);
    expect(await keysUnder(`sluice/transfer/${name}/`)).toEqual([`sluice/transfer/${name}/1/outputs.tar`]);
    await executor.release(req.runId, req.stepId);
    expect(await keysUnder(`sluice/transfer/${name}/`)).toEqual([]);
    await waitFor('the Job and its pod to go', () => runGone(req.runId), GONE_MS);
  });

  it("keeps a failing step's exit code and termination message, and what it wrote", async () => {
    const { req, logs } = await storeStep(
      'echo partial > /sluice/outputs/partial.txt; echo "model diverged" > /dev/termination-log; echo bye; exit 3',
    );
    const result = await executor.run(req);
    expect(result).toMatchObject({ exitCode: 3, timedOut: false });
    expect(linesOf(logs, 'stdout')).toEqual(['bye']);
    expect(linesOf(logs, 'stderr')).toEqual(['[sluice] pod ended: Error: model diverged']);
    expect(await readOutput(req, 'partial.txt')).toBe('partial\n');
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
    expect(await keysUnder(`sluice/transfer/${jobName(req.runId, req.stepId)}/`)).toEqual([]);
  });

  it('maps a missing command to CommandNotFound, and times out a step like hostPath mode does', async () => {
    const { req } = await storeStep('no-such-binary');
    await expect(executor.run(req)).rejects.toMatchObject({
      code: 'CommandNotFound',
      message: expect.stringContaining('no-such-binary'),
    });
    const { req: slow } = await storeStep('echo started; sleep 100', { timeoutMs: 4_000 });
    const result = await executor.run(slow);
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
    await waitFor('the Jobs to go', async () => (await runGone(req.runId)) && runGone(slow.runId), GONE_MS);
  });

  it('refuses a step without a command, and fails fast naming a transfer image the node lacks', async () => {
    const { req } = await storeStep('true', { command: [] });
    await expect(executor.run(req)).rejects.toMatchObject({
      code: 'InvalidRequest',
      message: expect.stringContaining("needs the step's command"),
    });
    expect(await jobsOf(req.runId)).toEqual([]);

    const missing = new KubernetesExecutor({
      kubeConfig,
      transfer: new StoreTransfer(store, { image: 'sluice/no-transfer:1' }),
    });
    const { req: req2 } = await storeStep('true');
    const started = Date.now();
    const err = await missing.run(req2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err).toMatchObject({ code: 'ImageNotFound', message: expect.stringContaining('sluice/no-transfer:1') });
    expect(Date.now() - started).toBeLessThan(20_000);
    await waitFor('the Job to go', () => runGone(req2.runId), GONE_MS);
  });

  it('fails the step (retryably, with the reason) when the pod cannot fetch its inputs', async () => {
    // A real presigned URL, for an object that is not there: the store answers 404.
    class MissingInputs extends StoreTransfer {
      override async prepare(...args: Parameters<StoreTransfer['prepare']>) {
        const plan = await super.prepare(...args);
        return { ...plan, inputsUrl: await store.presign(store.workKey('no/such/inputs.tar'), 'GET', 600) };
      }
    }
    const broken = new KubernetesExecutor({ kubeConfig, transfer: new MissingInputs(store) });
    const { req, logs } = await storeStep('echo never');
    const err = await broken.run(req).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TransferError', message: expect.stringContaining('HTTP 404') });
    expect(err).not.toBeInstanceOf(ExecutorError); // not the step's fault: the activity retries
    expect(linesOf(logs, 'stdout')).toEqual([]);
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
  });

  it('after a worker is SIGKILLed mid-step, a new worker adopts the Job and collects its outputs', async () => {
    const script =
      'echo started >> /sluice/outputs/starts; cat /sluice/inputs/in.txt; sleep 4; echo result > /sluice/outputs/x; echo end';
    const { req, logs } = await storeStep(script);
    await writeFile(path.join(req.workDir, 'inputs', 'in.txt'), 'input\n');
    const worker = spawnExecutorProcess('kubernetes', req, {
      SLUICE_TEST_TRANSFER_BUCKET: bucket,
      SLUICE_TEST_TRANSFER_PREFIX: PREFIX,
    });
    let stderr = '';
    worker.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitFor(
      () => `the worker to start the pod (worker stderr: ${stderr})`,
      () => runningPod(req.runId),
      90_000,
    );
    await crash(worker);
    const [before] = await jobsOf(req.runId);

    const result = await executor.run({ ...req, attempt: 2 });
    expect(result).toMatchObject({ exitCode: 0, reattached: true });
    expect(linesOf(logs, 'stdout')).toEqual(['input', 'end']);
    expect(await readOutput(req, 'starts')).toBe('started\n');
    expect(await readOutput(req, 'x')).toBe('result\n');
    // The same Job (one start), and the key came from its annotation: the creator's attempt, 1.
    expect(before?.metadata?.annotations?.['sluice.dev/outputs-key']).toBe(
      `sluice/transfer/${jobName(req.runId, req.stepId)}/1/outputs.tar`,
    );
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
    expect(await keysUnder(`sluice/transfer/${jobName(req.runId, req.stepId)}/`)).toEqual([]);
  });
});

async function crash(worker: ChildProcess): Promise<void> {
  const exited = new Promise((r) => worker.once('exit', r));
  worker.kill('SIGKILL');
  await exited;
}

// The helper's own contract, without a cluster: what the worker stages is what the pod unpacks.
describe('StoreTransfer', () => {
  it('stages inputs content-addressed (once for equal content) and presigns URLs that work', async () => {
    const { req } = await storeStep('true');
    await writeFile(path.join(req.workDir, 'inputs', 'a.txt'), 'a\n');
    const transfer = new StoreTransfer(store);
    const plan = await transfer.prepare(req, 'sluice-x-y-0123456789', path.join(req.workDir, 'inputs'));
    const again = await transfer.prepare(req, 'sluice-x-y-0123456789', path.join(req.workDir, 'inputs'));
    expect(new URL(again.inputsUrl).pathname).toBe(new URL(plan.inputsUrl).pathname);
    expect(plan.outputsKey).toBe('sluice/transfer/sluice-x-y-0123456789/1/outputs.tar');
    const got = await fetch(plan.inputsUrl);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).includes(Buffer.from('a.txt'))).toBe(true);
    // The PUT URL is for that one key: it cannot read it, and a GET with it is refused.
    expect((await fetch(plan.outputsUrl)).status).toBe(403);
    expect((await fetch(plan.outputsUrl, { method: 'PUT', body: 'x' })).status).toBe(200);
    expect(await readFile(path.join(req.workDir, 'inputs', 'a.txt'), 'utf8')).toBe('a\n');
    await transfer.discard('sluice-x-y-0123456789');
    expect(await keysUnder('sluice/transfer/sluice-x-y-0123456789/')).toEqual([]);
  });
});
