import { Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { LineSplitter } from './lines.js';
import type { StepRunRequest, StoredLines } from './types.js';

export interface LogFollower {
  /** Resolves when the daemon ends the follow stream (the container stopped) or it failed. */
  ended: Promise<void>;
  /**
   * Call once the container has exited: stops following, fetches what the follow stream
   * missed and flushes partial last lines to onLog.
   */
  finish(): Promise<void>;
  /** Stops following without catching up (error paths). Idempotent. */
  close(): void;
  /** The last stderr line seen, for error messages. */
  lastStderr(): string | undefined;
}

type Stream = 'stdout' | 'stderr';

/**
 * Follows a container's logs from its very start, so attaching after `start()` or re-attaching
 * to an earlier worker's container loses no line. Frames carry timestamps (fixed-width
 * RFC 3339, so they compare as strings): Docker 20.10 can end a follow stream before the
 * container's last message (typically a final line without "\n"), so after exit the logs
 * since the last timestamp seen are read once more and only newer frames are emitted.
 */
export async function followLogs(
  docker: Docker,
  container: Docker.Container,
  onLog: StepRunRequest['onLog'],
): Promise<LogFollower> {
  let last: string | undefined;
  const splitters = {
    stdout: new LineSplitter((line) => onLog('stdout', line)),
    stderr: new LineSplitter((line) => {
      last = line;
      onLog('stderr', line);
    }),
  };
  // Per stream: each stream's messages are timestamped in order, but not across streams.
  const seen = { stdout: { ts: '', count: 0 }, stderr: { ts: '', count: 0 } };
  let replayFrom: typeof seen | undefined;

  // demuxStream writes each frame (one log message) with a single write() call.
  const frameWriter = (stream: Stream) =>
    new Writable({
      write(frame: Buffer, _encoding, callback) {
        const space = frame.indexOf(0x20);
        if (space < 0) return callback(); // every frame starts with "<timestamp> "
        const ts = frame.subarray(0, space).toString('latin1');
        const from = replayFrom?.[stream];
        if (from && (ts < from.ts || (ts === from.ts && from.count-- > 0))) return callback();
        const mark = seen[stream];
        if (ts === mark.ts) mark.count++;
        else [mark.ts, mark.count] = [ts, 1];
        splitters[stream].push(frame.subarray(space + 1));
        callback();
      },
    });
  const demux = (source: NodeJS.ReadableStream) => {
    const [out, err] = [frameWriter('stdout'), frameWriter('stderr')];
    docker.modem.demuxStream(source, out, err);
    return new Promise<void>((resolve) => {
      source.once('end', resolve);
      source.once('close', resolve);
      source.once('error', () => resolve());
    });
  };

  const opts = { stdout: true, stderr: true, timestamps: true } as const;
  const live = (await container.logs({ ...opts, follow: true })) as NodeJS.ReadableStream & Readable;
  const ended = demux(live);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    live.destroy();
    splitters.stdout.end();
    splitters.stderr.end();
  };
  return {
    ended,
    async finish() {
      if (closed) return;
      live.destroy();
      // Messages are only ever missed at the tail, so reading from the older of the two last
      // timestamps (minus a second of margin) covers them.
      const marks = [seen.stdout.ts, seen.stderr.ts].filter((ts) => ts !== '').sort();
      const since = marks[0] ? Math.floor(Date.parse(marks[0]) / 1000) - 1 : 0;
      try {
        const from = Number.isNaN(since) ? 0 : Math.max(0, since);
        const rest = await container.logs({ ...opts, follow: false, since: from });
        replayFrom = structuredClone(seen);
        await demux(Readable.from([rest]));
      } catch {
        // Gone already (another worker removed it): the followed lines are all there is.
      }
      close();
    },
    close,
    lastStderr: () => last,
  };
}

/** Drops the first `stored` lines of each stream: what the step log already holds from an earlier worker. */
export function skipStoredLines(stored: StoredLines, onLog: StepRunRequest['onLog']): StepRunRequest['onLog'] {
  const left = { ...stored };
  return (stream, line) => {
    if (left[stream] > 0) left[stream]--;
    else onLog(stream, line);
  };
}
