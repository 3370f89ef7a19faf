import { mkdir, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogStream, LogWriter } from './store.js';

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 100;

/**
 * Appends JSON lines to `file` in batches. All disk work runs on one promise chain, so appends keep
 * their order; a failure is remembered and reported by the next write, flush or close.
 */
export class FileLogWriter implements LogWriter {
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void>;
  private handle: FileHandle | undefined;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private bytes = 0;

  constructor(
    private readonly file: string,
    private readonly doneFile: string,
  ) {
    this.chain = this.enqueue(async () => {
      await mkdir(dirname(file), { recursive: true });
      // A marker left by an earlier attempt of the step would end new followers at once.
      await rm(doneFile, { force: true });
      this.handle = await open(file, 'a');
      this.bytes = (await this.handle.stat()).size;
    });
  }

  write(stream: LogStream, line: string): void {
    if (this.closing) throw new Error(`log ${this.file} is closed`);
    if (this.failure) throw this.failure;
    const json = `${JSON.stringify({ ts: new Date().toISOString(), stream, line })}\n`;
    this.buffer.push(json);
    this.bufferedBytes += json.length;
    if (this.bufferedBytes >= FLUSH_BYTES) this.flushInBackground();
    else this.timer ??= setTimeout(() => this.flushInBackground(), FLUSH_MS);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length > 0) {
      const data = this.buffer.join('');
      this.buffer = [];
      this.bufferedBytes = 0;
      this.chain = this.enqueue(async () => {
        await this.handle!.appendFile(data);
        this.bytes += Buffer.byteLength(data);
      });
    }
    return this.chain.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        // No fsync: a step log is diagnostic, and an fsync per step costs more than the step
        // orchestration budget; the OS writes it out moments later.
        await this.flush();
        // Written aside and renamed, so a follower never sees a half-written marker.
        await writeFile(`${this.doneFile}.tmp`, JSON.stringify({ ts: new Date().toISOString(), bytes: this.bytes }));
        await rename(`${this.doneFile}.tmp`, this.doneFile);
      } finally {
        await this.handle?.close();
      }
    })();
    return this.closing;
  }

  private flushInBackground(): void {
    // The failure is kept and thrown by the next write/flush/close; nothing to do with it here.
    this.flush().catch(() => undefined);
  }

  /** Chains `op` after earlier disk work; once something failed, later work is skipped. */
  private enqueue(op: () => Promise<void>): Promise<void> {
    return (this.chain ?? Promise.resolve()).then(async () => {
      if (this.failure) return;
      try {
        await op();
      } catch (err) {
        this.failure = err as Error;
      }
    });
  }
}
