import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCode } from '../core/code/pack.js';
import { expectProblem, useApi } from './support/api.js';

const spec = (name: string, code: string, python = true) => ({
  apiVersion: 'sluice/v1',
  name,
  code,
  steps: [
    {
      id: 'train',
      image: 'none',
      command: ['python3', 'train.py'],
      ...(python ? { python: { requirements: 'requirements.txt' } } : {}),
    },
  ],
});

describe('code packages API', () => {
  const api = useApi();
  let dir: string;
  let body: Buffer;
  let digest: string;

  const upload = (payload: Buffer | string, type = 'application/x-tar', role: 'operator' | 'viewer' = 'operator') =>
    api.call(role, { method: 'POST', url: '/v1/code-packages', payload, headers: { 'content-type': type } });
  const apply = (payload: unknown, headers: Record<string, string> = {}) =>
    api.call('operator', { method: 'POST', url: '/v1/pipelines', payload: payload as string, headers });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-code-api-'));
    await mkdir(join(dir, 'src', 'lib'), { recursive: true });
    await writeFile(join(dir, 'src', 'train.py'), 'print("hi")\n');
    await writeFile(join(dir, 'src', 'requirements.txt'), 'scikit-learn\n');
    await writeFile(join(dir, 'src', 'lib', 'util.py'), 'X = 1\n');
    const packed = await packCode(join(dir, 'src'), join(dir, 'code.tar'));
    body = await readFile(join(dir, 'code.tar'));
    digest = packed.digest;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores a package content-addressed: the same bytes again are a no-op', async () => {
    const first = await upload(body);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ digest, size: body.length, files: 3, created: true });
    const again = await upload(body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ digest, created: false });
    const got = await api.call('viewer', { method: 'GET', url: `/v1/code-packages/${digest}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ digest, files: 3 });
    expectProblem(await upload(body, 'application/x-tar', 'viewer'), 403);
    const events = await api.call('viewer', { method: 'GET', url: '/v1/events?resourceType=code-package' });
    expect(JSON.stringify(events.json())).toContain('code.upload');
  });

  it('refuses what is not a plain tar of files and directories, naming the body', async () => {
    expectProblem(await upload('not a tar at all, just some text'), 400, 'body');
    const json = await api.call('operator', { method: 'POST', url: '/v1/code-packages', payload: { a: 1 } });
    expectProblem(json, 400, 'body');
    const evil = join(dir, 'evil');
    await mkdir(evil);
    await symlink('/etc/passwd', join(evil, 'passwd'));
    await tar.create({ cwd: evil, file: join(dir, 'evil.tar'), portable: true }, ['passwd']);
    const res = expectProblem(await upload(await readFile(join(dir, 'evil.tar'))), 400, 'body');
    expect(res.detail).toMatch(/SymbolicLink entries are not allowed/);
    expectProblem(await api.call('viewer', { method: 'GET', url: '/v1/code-packages/abc' }), 400);
    expectProblem(await api.call('viewer', { method: 'GET', url: `/v1/code-packages/sha256:${'0'.repeat(64)}` }), 404);
  });

  it('applies a spec naming a stored package, idempotently; the version digest includes the code', async () => {
    await upload(body);
    const first = await apply({ spec: spec('with-code', digest) });
    expect(first.statusCode, first.body).toBe(201);
    const same = await apply({ spec: spec('with-code', digest) });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({ version: 1, created: false, digest: first.json().digest });
    const other = await apply({ spec: spec('with-code', `sha256:${'1'.repeat(64)}`) });
    expectProblem(other, 400, '$.spec.code');
    expect(other.json().detail).toMatch(/is not stored/);
  });

  it('names the field of every code mistake, in JSON and YAML bodies', async () => {
    const missing = `sha256:${'2'.repeat(64)}`;
    const yaml = `apiVersion: sluice/v1\nname: y\ncode: ${missing}\nsteps:\n  - id: a\n    image: none\n    command: ['true']\n`;
    expectProblem(await apply(yaml, { 'content-type': 'application/yaml' }), 400, '$.code');
    const dirRef = await apply({ spec: spec('dir-ref', './src') });
    expect(JSON.stringify(expectProblem(dirRef, 400, '$.spec.code'))).toMatch(/sluice pipelines apply -f/);
    const noCode = { ...spec('no-code', digest), code: undefined };
    expectProblem(await apply({ spec: noCode }), 400, '$.spec.steps[0].python');
    const escape = spec('escape', digest);
    escape.steps[0]!.python = { requirements: '../etc/requirements.txt' };
    expectProblem(await apply({ spec: escape }), 400, '$.spec.steps[0].python.requirements');
  });
});
