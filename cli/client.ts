import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CliEnv } from './env.js';

export interface Problem {
  type?: string;
  status: number;
  detail?: string;
  title?: string;
  errors?: { path: string; message: string }[];
}

/** The API answered with an error (problem+json), or could not be reached (status 0). */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
}

export interface Connection {
  api: string;
  key?: string;
}

/** Key from the flag, then SLUICE_API_KEY, then the admin key the embedded stack wrote into its data dir. */
export function resolveKey(flag: string | undefined, env: CliEnv): string | undefined {
  if (flag) return flag;
  if (env.SLUICE_API_KEY) return env.SLUICE_API_KEY;
  try {
    return readFileSync(join(resolve(env.SLUICE_DATA_DIR), 'admin.key'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface RequestOptions {
  query?: Record<string, string | string[] | number | boolean | undefined>;
  body?: unknown;
  /** A multipart body (uploads); fetch sets its content type and boundary. */
  form?: FormData;
  /** A raw body (e.g. YAML) and its content type. */
  raw?: { body: string | Blob; type: string };
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class ApiClient {
  constructor(private readonly conn: Connection) {}

  url(path: string, query: RequestOptions['query'] = {}): string {
    const u = new URL(path.replace(/^\//, ''), this.conn.api.endsWith('/') ? this.conn.api : `${this.conn.api}/`);
    for (const [k, v] of Object.entries(query)) {
      for (const one of Array.isArray(v) ? v : [v])
        if (one !== undefined && one !== '') u.searchParams.append(k, String(one));
    }
    return u.toString();
  }

  /** Sends the request; resolves the raw response when it is 2xx, throws ApiError otherwise. */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    if (!this.conn.key) {
      throw new ApiError({
        status: 0,
        detail:
          'no API key: pass --key, set SLUICE_API_KEY, or run where the stack wrote .sluice/admin.key (SLUICE_DATA_DIR)',
      });
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.conn.key}`, ...opts.headers };
    let body: string | Blob | FormData | undefined;
    if (opts.form) body = opts.form;
    else if (opts.raw) [body, headers['content-type']] = [opts.raw.body, opts.raw.type];
    else if (opts.body !== undefined) [body, headers['content-type']] = [JSON.stringify(opts.body), 'application/json'];
    let res: Response;
    try {
      res = await fetch(this.url(path, opts.query), { method, headers, body, signal: opts.signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ApiError({
        status: 0,
        detail: `cannot reach the Sluice API at ${this.conn.api} (${cause}); is it running (npm start)?`,
      });
    }
    if (res.ok) return res;
    const text = await res.text();
    let problem: Problem;
    try {
      problem = { status: res.status, ...(JSON.parse(text) as Omit<Problem, 'status'>) };
    } catch {
      problem = { status: res.status, detail: `HTTP ${res.status}: ${text.slice(0, 200)}` };
    }
    throw new ApiError(problem);
  }

  async json<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    return (res.status === 204 ? null : await res.json()) as T;
  }
}
