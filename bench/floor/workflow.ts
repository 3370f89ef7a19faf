// The Temporal floor: a chain of activities that do nothing, so the time between them is
// pure Temporal (server + SDK) latency — what no Sluice step can go below.
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10s' });

export async function activityChain(n: number): Promise<number[]> {
  const ends: number[] = [];
  for (let i = 0; i < n; i++) {
    await noop();
    ends.push(Date.now());
  }
  return ends;
}
