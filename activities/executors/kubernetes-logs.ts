import { Writable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { Log } from '@kubernetes/client-node';
import { LineSplitter } from './lines.js';
import { STEP_CONTAINER } from './kubernetes-job.js';
import type { StepRunRequest } from './types.js';

export interface PodLogFollower {
  /** Resolves when the API server ends the follow stream (the container stopped) or it failed. */
  ended: Promise<void>;
  /** After the exit: stops following, emits what the follow stream missed and a last partial line. */
  finish(): Promise<void>;
  /** Stops following without catching up. Idempotent. */
  close(): void;
  lastLine(): string | undefined;
}

/**
 * Follows the step container's log from its first byte. The API merges stdout and stderr into one
 * stream, so every line is reported as stdout. A follow stream may end before the container's last
 * bytes (a final line without "\n"), so finish() reads the whole log once more and emits only the
 * bytes beyond those already received: the log is append-only, the byte count is the bookmark.
 */
export async function followPodLog(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  onLog: StepRunRequest['onLog'],
): Promise<PodLogFollower> {
  let last: string | undefined;
  const splitter = new LineSplitter((line) => {
    last = line;
    onLog('stdout', line);
  });
  let received = 0;
  let closed = false;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!closed) {
        received += chunk.length;
        splitter.push(chunk);
      }
      callback();
    },
  });
  sink.once('finish', resolveEnded);
  sink.once('error', () => resolveEnded());
  const log = new Log(kc);
  let follow: AbortController | undefined;
  try {
    follow = await log.log(namespace, pod, STEP_CONTAINER, sink, { follow: true });
  } catch {
    resolveEnded(); // gone already, or not started: finish() reads what there is
  }
  const close = () => {
    if (closed) return;
    closed = true;
    follow?.abort();
    splitter.end();
    resolveEnded();
  };
  return {
    ended,
    async finish() {
      if (closed) return;
      closed = true;
      follow?.abort();
      try {
        const whole = await withTimeout(readAll(log, namespace, pod), READ_ALL_MS);
        if (whole.length > received) splitter.push(whole.subarray(received));
      } catch {
        // Removed meanwhile (another worker released it): the followed bytes are all there is.
      }
      splitter.end();
      resolveEnded();
    },
    close,
    lastLine: () => last,
  };
}

/** The catch-up read after the exit; a hung response must not hold the step's result. */
const READ_ALL_MS = 15_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function readAll(log: Log, namespace: string, pod: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    sink.once('finish', resolve);
    sink.once('error', reject);
  });
  await log.log(namespace, pod, STEP_CONTAINER, sink, { follow: false });
  await done;
  return Buffer.concat(chunks);
}
