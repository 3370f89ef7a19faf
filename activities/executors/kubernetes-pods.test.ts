import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { jobState, viewPod } from './kubernetes-pods.js';

const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'p' }, status });
const step = (state: object, imageID = '') => pod({ containerStatuses: [{ name: 'step', state, imageID } as never] });

describe('viewPod', () => {
  it('tells pending, running and exited apart, with the exit code, reason and termination message', () => {
    expect(viewPod(pod({ phase: 'Pending' }), 'img')).toEqual({ phase: 'pending' });
    expect(viewPod(step({ waiting: { reason: 'ContainerCreating' } }), 'img')).toEqual({ phase: 'pending' });
    expect(viewPod(step({ running: {} }, 'docker.io/x@sha256:ab'), 'img')).toEqual({
      phase: 'running',
      pod: 'p',
      imageId: 'docker.io/x@sha256:ab',
    });
    expect(viewPod(step({ terminated: { exitCode: 137, reason: 'OOMKilled' } }), 'img')).toMatchObject({
      phase: 'exited',
      exitCode: 137,
      reason: 'OOMKilled',
    });
    // Deleted before its container ever ran.
    expect(viewPod(pod({ phase: 'Failed', reason: 'DeadlineExceeded' }), 'img')).toMatchObject({
      phase: 'exited',
      exitCode: 137,
    });
  });

  it('fails at once on what waiting cannot fix, saying why', () => {
    const unschedulable = pod({
      conditions: [
        { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes: 1 Insufficient cpu' },
      ],
    });
    expect(() => viewPod(unschedulable, 'img')).toThrow(/Insufficient cpu/);
    for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']) {
      expect(() => viewPod(step({ waiting: { reason, message: 'm' } }), 'img:1')).toThrow(
        expect.objectContaining({ code: 'ImageNotFound', message: expect.stringContaining(reason) }),
      );
    }
    expect(() =>
      viewPod(step({ waiting: { reason: 'CreateContainerConfigError', message: 'secret "s" not found' } }), 'img'),
    ).toThrow(expect.objectContaining({ code: 'InvalidRequest', message: expect.stringContaining('secret "s"') }));
    const startError = { exitCode: 128, reason: 'StartError', message: 'exec: "nope": executable file not found' };
    expect(() => viewPod(step({ terminated: startError }), 'img')).toThrow(
      expect.objectContaining({ code: 'CommandNotFound' }),
    );
  });
});

describe('jobState', () => {
  it('reads deleting, complete, failed, suspended and active from the Job', () => {
    const cond = (type: string) => ({ status: { conditions: [{ type, status: 'True' }] } });
    expect(jobState({ metadata: { deletionTimestamp: new Date() } })).toBe('deleting');
    expect(jobState(cond('Complete'))).toBe('complete');
    expect(jobState(cond('Failed'))).toBe('failed');
    expect(jobState({ spec: { suspend: true, template: {} } })).toBe('suspended');
    expect(jobState({ spec: { template: {} } })).toBe('active');
  });
});
