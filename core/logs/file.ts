import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertLogId,
  type FollowedLogLine,
  type FollowOptions,
  type LogLine,
  type LogStore,
  type LogWriter,
} from './store.js';
import { FileLogWriter } from './writer.js';

const NEWLINE = 0x0a;

/** Step logs on the local disk: `<root>/<runId>/<stepId>.jsonl`, plus `<stepId>.done` once closed. */
export class FileLogStore implements LogStore {
  readonly root: string;

  constructor(
    root: string,
    private readonly pollMs = 150,
  ) {
    this.root = resolve(root);
  }

  writer(runId: string, stepId: string): LogWriter {
    const { file, done } = this.paths(runId, stepId);
    return new FileLogWriter(file, done);
  }

  read(runId: string, stepId: string, opts: { offset?: number } = {}): Readable {
    return createReadStream(this.paths(runId, stepId).file, { start: opts.offset ?? 0 });
  }

  async exists(runId: string, stepId: string): Promise<boolean> {
    return (await sizeOf(this.paths(runId, stepId).file)) !== undefined;
  }

  async completed(runId: string, stepId: string): Promise<boolean> {
    return (await sizeOf(this.paths(runId, stepId).done)) !== undefined;
  }

  /**
   * Polls the file size rather than using fs.watch: it behaves the same on every filesystem
   * (including network mounts) and works when the writer is another process.
   */
  async *follow(runId: string, stepId: string, opts: FollowOptions = {}): AsyncGenerator<FollowedLogLine> {
    const { file, done } = this.paths(runId, stepId);
    const { signal } = opts;
    let pos = opts.offset ?? 0;
    let skipPartial = pos > 0 && !(await endsLineAt(file, pos));
    let carry: Buffer = Buffer.alloc(0);
    while (!signal?.aborted) {
      // Checked before reading: the marker is written after the last append, so a read that
      // starts after seeing it reaches the true end of the log.
      const finished = (await sizeOf(done)) !== undefined;
      const size = (await sizeOf(file)) ?? 0;
      if (size > pos) {
        for await (const chunk of createReadStream(file, { start: pos, end: size - 1 }) as AsyncIterable<Buffer>) {
          pos += chunk.length;
          const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
          const base = pos - data.length;
          let start = 0;
          for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
            if (skipPartial) skipPartial = false;
            else yield { ...(JSON.parse(data.toString('utf8', start, nl)) as LogLine), nextOffset: base + nl + 1 };
            start = nl + 1;
            if (signal?.aborted) return;
          }
          carry = data.subarray(start);
        }
      } else if (finished) {
        return;
      } else {
        try {
          await sleep(this.pollMs, undefined, signal ? { signal } : {});
        } catch {
          return; // aborted
        }
      }
    }
  }

  private paths(runId: string, stepId: string): { file: string; done: string } {
    assertLogId('runId', runId);
    assertLogId('stepId', stepId);
    const dir = join(this.root, runId);
    return { file: join(dir, `${stepId}.jsonl`), done: join(dir, `${stepId}.done`) };
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Whether byte `pos - 1` of `file` is a newline, i.e. `pos` is the start of a line. */
async function endsLineAt(file: string, pos: number): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  try {
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(1), 0, 1, pos - 1);
    return bytesRead === 0 || buffer[0] === NEWLINE;
  } finally {
    await fh.close();
  }
}
