import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLogStore } from './file.js';
import type { FollowedLogLine } from './store.js';

let root: string;
let logs: FileLogStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sluice-logs-'));
  logs = new FileLogStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function text(r: Readable): Promise<string> {
  let s = '';
  for await (const c of r) s += (c as Buffer).toString('utf8');
  return s;
}

async function collect(it: AsyncIterable<FollowedLogLine>): Promise<FollowedLogLine[]> {
  const out: FollowedLogLine[] = [];
  for await (const l of it) out.push(l);
  return out;
}

describe('FileLogStore', () => {
  it('writes JSON lines and reads them back', async () => {
    expect(await logs.exists('run-1', 'train')).toBe(false);
    const w = logs.writer('run-1', 'train');
    w.write('stdout', 'epoch 1');
    w.write('stderr', 'warning: "lr" high\nsecond physical line');
    w.write('stdout', 'épоch 2 ✓');
    await w.close();
    await w.close(); // idempotent
    expect(() => w.write('stdout', 'late')).toThrow(/closed/);

    expect(await logs.exists('run-1', 'train')).toBe(true);
    expect(await logs.completed('run-1', 'train')).toBe(true);
    const raw = await text(logs.read('run-1', 'train'));
    const lines = raw
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { ts: string; stream: string; line: string });
    expect(lines.map(({ stream, line }) => [stream, line])).toEqual([
      ['stdout', 'epoch 1'],
      ['stderr', 'warning: "lr" high\nsecond physical line'],
      ['stdout', 'épоch 2 ✓'],
    ]);
    expect(new Date(lines[0]!.ts).toISOString()).toBe(lines[0]!.ts);
  });

  it('follows lines appended after it started and ends on close', async () => {
    const w = logs.writer('run-2', 'step');
    w.write('stdout', 'before');
    await w.flush();
    const arrivals: number[] = [];
    const seen = (async () => {
      const out: FollowedLogLine[] = [];
      for await (const l of logs.follow('run-2', 'step')) {
        arrivals.push(Date.now());
        out.push(l);
      }
      return out;
    })();
    await sleep(300);
    for (let i = 0; i < 5; i++) {
      w.write(i % 2 ? 'stderr' : 'stdout', `line ${i}`);
      await sleep(120);
    }
    await sleep(300);
    const closedAt = Date.now();
    await w.close();
    const lines = await seen;
    // Live: every line arrived before the writer closed, not in one batch at the end.
    expect(arrivals.every((t) => t < closedAt)).toBe(true);
    expect(lines.map((l) => l.line)).toEqual(['before', 'line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    expect(lines[2]!.stream).toBe('stderr');
    const size = (await readFile(join(root, 'run-2', 'step.jsonl'))).length;
    expect(lines.at(-1)!.nextOffset).toBe(size);
  });

  it('follows a log that does not exist yet, and stops when aborted', async () => {
    const ac = new AbortController();
    const seen = collect(logs.follow('run-3', 'late', { signal: ac.signal }));
    await sleep(200);
    const w = logs.writer('run-3', 'late');
    w.write('stdout', 'hello');
    await w.flush();
    await sleep(400);
    ac.abort();
    expect((await seen).map((l) => l.line)).toEqual(['hello']);
    await w.close();
  });

  it('resumes from an offset', async () => {
    const w = logs.writer('run-4', 's');
    for (let i = 0; i < 10; i++) w.write('stdout', `n${i}`);
    await w.close();
    const all = await collect(logs.follow('run-4', 's'));
    expect(all).toHaveLength(10);
    const resumed = await collect(logs.follow('run-4', 's', { offset: all[6]!.nextOffset }));
    expect(resumed.map((l) => l.line)).toEqual(['n7', 'n8', 'n9']);
    // An offset inside a line skips to the next whole line.
    const midLine = await collect(logs.follow('run-4', 's', { offset: all[6]!.nextOffset + 3 }));
    expect(midLine.map((l) => l.line)).toEqual(['n8', 'n9']);
    const raw = await text(logs.read('run-4', 's', { offset: all[8]!.nextOffset }));
    expect(JSON.parse(raw).line).toBe('n9');
  });

  it('appends across writers and reopens a completed log', async () => {
    const first = logs.writer('run-5', 's');
    first.write('stdout', 'attempt 1');
    await first.close();
    const second = logs.writer('run-5', 's');
    second.write('stdout', 'attempt 2');
    await second.flush();
    expect(await logs.completed('run-5', 's')).toBe(false);
    await second.close();
    expect((await collect(logs.follow('run-5', 's'))).map((l) => l.line)).toEqual(['attempt 1', 'attempt 2']);
  });

  it('streams a large log without losing lines', async () => {
    const w = logs.writer('run-6', 'big');
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      w.write('stdout', `${i} ${'x'.repeat(100)}`);
      if (i % 5_000 === 0) await w.flush();
    }
    await w.close();
    let count = 0;
    for await (const l of logs.follow('run-6', 'big')) {
      expect(l.line.startsWith(`${count} `)).toBe(true);
      count++;
    }
    expect(count).toBe(n);
  });

  it('rejects ids that could escape the root', async () => {
    for (const bad of ['..', '../x', 'a/b', 'a\\b', '.hidden', '', 'a..b', 'x\0y', '/abs']) {
      expect(() => logs.writer(bad, 's'), bad).toThrow(/invalid runId/);
      expect(() => logs.read('r', bad), bad).toThrow(/invalid stepId/);
      await expect(logs.exists('r', bad), bad).rejects.toThrow(/invalid stepId/);
      await expect(collect(logs.follow(bad, 's')), bad).rejects.toThrow(/invalid runId/);
    }
    expect(() => logs.writer('run_1.a-b', 'step-2')).not.toThrow();
  });
});
