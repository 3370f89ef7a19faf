import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PipelineNameKey, SluiceRunIdKey, TriggerKey } from '../core/temporal/search-attributes.js';
import { uniqueId } from './services.js';

describe('Temporal round trip on the real dev server', () => {
  let connection: Connection;
  let nativeConnection: NativeConnection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection?.close();
    await nativeConnection?.close();
  });

  it('runs a workflow that calls an activity and carries our search attributes', async () => {
    const taskQueue = uniqueId('roundtrip');
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./fixtures/echo-workflow.ts', import.meta.url)),
      logger: { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} },
    });
    const worker = await Worker.create({
      connection: nativeConnection, taskQueue, workflowBundle,
      activities: { shout: async (s: string) => `${s.toUpperCase()}!` },
    });
    const client = new Client({ connection });
    const workflowId = uniqueId('wf');
    const result = await worker.runUntil(async () => {
      const handle = await client.workflow.start('echo', {
        taskQueue, workflowId, args: ['hello'],
        typedSearchAttributes: [
          { key: PipelineNameKey, value: 'roundtrip' },
          { key: SluiceRunIdKey, value: workflowId },
          { key: TriggerKey, value: 'test' },
        ],
      });
      return handle.result();
    });
    expect(result).toBe('HELLO!');
    const desc = await client.workflow.getHandle(workflowId).describe();
    expect(desc.typedSearchAttributes.get(PipelineNameKey)).toBe('roundtrip');
    expect(desc.typedSearchAttributes.get(SluiceRunIdKey)).toBe(workflowId);
    expect(desc.status.name).toBe('COMPLETED');
  });
});
