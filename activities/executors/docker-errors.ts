import { ExecutorError } from './types.js';

/** The HTTP status dockerode attaches to engine errors, if any. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function messageOf(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === 'string') return json.message;
  return err instanceof Error ? err.message : String(err);
}

/** Socket-level failures: no daemon listening (or not reachable) at the configured address. */
export function engineUnavailable(err: unknown): ExecutorError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'EHOSTUNREACH') {
    return new ExecutorError('EngineUnavailable', `Docker engine is not reachable: ${messageOf(err)}`);
  }
  return undefined;
}

export function imageNotFound(image: string): ExecutorError {
  return new ExecutorError(
    'ImageNotFound',
    `image "${image}" is not on this Docker engine; build or load it first (no registry is reachable)`,
  );
}

/**
 * Start failures retrying cannot fix: the runtime could not exec the command (missing, not
 * executable) or the engine has no GPU driver for a step that asks for GPUs.
 */
export function mapStartError(err: unknown, req: { image: string; command: string[]; gpus: number }): unknown {
  const msg = messageOf(err);
  if (/could not select device driver/.test(msg)) {
    return new ExecutorError(
      'InvalidRequest',
      `step requests ${req.gpus} GPU(s) but this Docker engine has no NVIDIA GPU runtime: ${msg}`,
    );
  }
  if (/executable file not found|unable to start container process: exec: /.test(msg)) {
    const what = req.command.length > 0 ? `command "${req.command[0]}"` : "the image's default command";
    return new ExecutorError('CommandNotFound', `${what} could not be run in image "${req.image}": ${msg}`);
  }
  return engineUnavailable(err) ?? err;
}
