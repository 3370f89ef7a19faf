import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

/** A multipart/form-data body, built by hand so the test controls part order. */
export function multipart(parts: Array<{ name: string; value: string | Buffer; filename?: string }>): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----sluice${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    const type = p.filename ? 'Content-Type: application/octet-stream\r\n' : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), Buffer.from(p.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** Asserts a problem+json error with `status` whose `errors` name `path` (when given). */
export function expectProblem(res: LightMyRequestResponse, status: number, path?: string | RegExp): Record<string, unknown> {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  const body = res.json() as { errors?: Array<{ path: string }>; detail: string };
  expect(body.detail).not.toMatch(/\n\s+at /); // no stack trace
  if (path !== undefined) {
    const paths = (body.errors ?? []).map((e) => e.path);
    expect(paths.some((p) => (typeof path === 'string' ? p === path : path.test(p))), `${JSON.stringify(paths)} should name ${path}`).toBe(true);
  }
  return body;
}
