import { Pool } from 'undici';
import { UpstreamError, UpstreamRejectedError } from './errors.js';
import type { Route } from './routes.js';

export interface UpstreamOptions {
  /** Most connections kept to one model server. */
  connections: number;
  /** Longest wait for the server's headers, and again for its body (ms). */
  timeoutMs: number;
}

/** The longest answer read from a model server: a reply larger than this is not predictions for ≤ 1000 rows. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/** How much of a model server's refusal is passed on to the client. */
const MAX_REASON_CHARS = 300;

/**
 * Kept-alive, bounded connection pools to the model servers, one per base URL (undici: pipelined
 * HTTP/1.1 without Node's http.Agent overhead). An idle pool holds no sockets once keep-alive
 * expires, so pools of stopped servers cost only their map entry until close.
 */
export class Upstreams {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly opts: UpstreamOptions) {}

  private pool(url: string): Pool {
    let p = this.pools.get(url);
    if (!p) {
      p = new Pool(url, {
        connections: this.opts.connections,
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
        connect: { timeout: Math.min(this.opts.timeoutMs, 10_000) },
        keepAliveTimeout: 30_000,
      });
      this.pools.set(url, p);
    }
    return p;
  }

  /** POSTs `{"rows": …}` to `${route.url}/predict` and returns its predictions, one per row. */
  async predict(route: Route, deployment: string, body: string, rowCount: number): Promise<unknown[]> {
    const who = `the model server of deployment "${deployment}" (version ${route.version})`;
    let res;
    try {
      res = await this.pool(route.url).request({
        path: '/predict',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    } catch (err) {
      throw transportError(err, who, this.opts.timeoutMs);
    }
    let text: string;
    try {
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > MAX_ANSWER_BYTES) {
        res.body.destroy();
        throw new UpstreamError(
          'upstream-bad-answer',
          `${who} answered ${declared} bytes, more than predictions can be`,
        );
      }
      text = await res.body.text();
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      throw transportError(err, who, this.opts.timeoutMs);
    }
    const status = res.statusCode;
    if (status >= 500) throw new UpstreamError('upstream-failed', `${who} failed: it answered HTTP ${status}`);
    if (status >= 400) {
      const reason = reasonOf(text);
      const detail = `${who} refused the input: HTTP ${status}${reason ? `: ${reason}` : ''}`;
      // 401/403/404/405: the server does not keep the serving contract; that is not the client's fault.
      if ([401, 403, 404, 405].includes(status)) throw new UpstreamError('upstream-bad-answer', detail);
      throw new UpstreamRejectedError(status === 400 ? 400 : 422, detail);
    }
    if (status < 200 || status >= 300)
      throw new UpstreamError('upstream-bad-answer', `${who} answered HTTP ${status} instead of predictions`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UpstreamError('upstream-bad-answer', `${who} answered something that is not JSON`);
    }
    const predictions = Array.isArray(parsed) ? parsed : (parsed as { predictions?: unknown })?.predictions;
    if (!Array.isArray(predictions))
      throw new UpstreamError('upstream-bad-answer', `${who} answered JSON without a "predictions" array`);
    if (predictions.length !== rowCount)
      throw new UpstreamError(
        'upstream-bad-answer',
        `${who} answered ${predictions.length} predictions for ${rowCount} rows`,
      );
    return predictions;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    // Requests in flight finish first (each is bounded by the timeout); then the sockets close.
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy().catch(() => {}))));
  }
}

function transportError(err: unknown, who: string, timeoutMs: number): UpstreamError {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return new UpstreamError('upstream-timeout', `${who} did not answer within ${timeoutMs} ms`);
  return new UpstreamError('upstream-unavailable', `${who} cannot be reached (${code || 'connection failed'})`);
}

/** The refusal's own message when it has one (JSON detail/error/message), shortened and without control characters. */
function reasonOf(text: string): string {
  let reason = '';
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const r = j?.detail ?? j?.error ?? j?.message;
    if (typeof r === 'string') reason = r;
  } catch {
    reason = '';
  }
  // eslint-disable-next-line no-control-regex
  reason = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}…` : reason;
}
