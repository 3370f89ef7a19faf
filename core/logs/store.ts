import type { Readable } from 'node:stream';

export type LogStream = 'stdout' | 'stderr';

/** One stored log line; the store keeps them as JSON lines, one object per line. */
export interface LogLine {
  /** ISO-8601 time the writer received the line. */
  ts: string;
  stream: LogStream;
  line: string;
}

/** A line seen by `follow`, with the byte offset just past it (pass it as `offset` to resume). */
export interface FollowedLogLine extends LogLine {
  nextOffset: number;
}

export interface LogWriter {
  /** Appends one line. Buffered: it reaches the disk within ~100 ms, or on flush/close. */
  write(stream: LogStream, line: string): void;
  /** Writes out everything buffered so far; await it for backpressure from a fast producer. */
  flush(): Promise<void>;
  /** Flushes and marks the log complete, which ends every `follow`. Idempotent. */
  close(): Promise<void>;
}

export interface FollowOptions {
  signal?: AbortSignal;
  /** Byte offset to start from (0 = the beginning); an offset inside a line skips to the next one. */
  offset?: number;
}

/** Per-step logs of a run. Nothing here holds a whole log in memory. */
export interface LogStore {
  writer(runId: string, stepId: string): LogWriter;
  /** The stored JSON lines as bytes, from a byte offset. */
  read(runId: string, stepId: string, opts?: { offset?: number }): Readable;
  /** Existing lines, then new ones as they are appended; ends when the writer closes or the signal aborts. */
  follow(runId: string, stepId: string, opts?: FollowOptions): AsyncIterable<FollowedLogLine>;
  exists(runId: string, stepId: string): Promise<boolean>;
  /** True once the writer has closed the log. */
  completed(runId: string, stepId: string): Promise<boolean>;
}

const ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Throws unless `id` is safe to use as one path segment (no separators, no `..`). */
export function assertLogId(kind: 'runId' | 'stepId', id: string): void {
  if (typeof id !== 'string' || !ID.test(id) || id.includes('..')) {
    throw new Error(`invalid ${kind} ${JSON.stringify(id)}: use 1-128 letters, digits, '.', '_' or '-', without '..'`);
  }
}
