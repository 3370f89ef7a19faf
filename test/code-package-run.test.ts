import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactRef } from '../core/artifacts/store.js';
import { specWithCode } from './support/code.js';
import { useHarness } from './support/harness.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

// Each step writes where it ran, what it read from its code package, and whether it could write there.
const probe =
  'pwd > "$SLUICE_OUTPUTS_DIR/pwd"; cat hello.txt > "$SLUICE_OUTPUTS_DIR/hello"; ' +
  'echo "$SLUICE_CODE_DIR" > "$SLUICE_OUTPUTS_DIR/env"; ' +
  'if touch probe 2>/dev/null; then echo writable; else echo read-only; fi > "$SLUICE_OUTPUTS_DIR/ro"';
const probeSpec = `apiVersion: sluice/v1
name: code-probe
code: ./code
steps:
  - id: in-docker
    image: sluice/busybox:1
    executor: docker
    command: [sh, -c, '${probe}']
    outputs: [pwd, hello, env, ro]
  - id: in-process
    image: none
    executor: process
    command: [sh, -c, '${probe}']
    outputs: [pwd, hello, env]
`;
const missingRequirements = `apiVersion: sluice/v1
name: code-python
code: ./code
steps:
  - id: py
    image: none
    executor: process
    python: { requirements: missing.txt }
    command: [python3, -c, 'print(1)']
`;

describe('the code package as a step sees it', () => {
  const h = useHarness({ defaultExecutor: 'docker', worker: true });
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-code-run-'));
    await writeFile(join(dir, 'probe.yaml'), probeSpec);
    await writeFile(join(dir, 'python.yaml'), missingRequirements);
    await mkdir(join(dir, 'code'));
    await writeFile(join(dir, 'code', 'hello.txt'), 'hello from the package\n');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const read = async (ref: ArtifactRef | undefined) => (await text(await h.deps.artifacts.open(ref!.uri))).trim();

  it('docker mounts it read-only at /sluice/code; the process executor runs in an extracted copy', async () => {
    const yaml = await specWithCode(h, join(dir, 'probe.yaml'));
    const { status, error } = await runToEnd(h, runInput(planFrom(yaml)));
    expect(error).toBeUndefined();
    const by = Object.fromEntries(status!.steps.map((s) => [s.id, s.outputs]));
    const docker = by['in-docker']!;
    expect(await read(docker.pwd)).toBe('/sluice/code');
    expect(await read(docker.env)).toBe('/sluice/code');
    expect(await read(docker.hello)).toBe('hello from the package');
    expect(await read(docker.ro)).toBe('read-only');
    const proc = by['in-process']!;
    const codeDir = await read(proc.env);
    expect(codeDir).toMatch(new RegExp(`^${h.deps.workRoot}/\\.code/[0-9a-f]{64}$`));
    expect(await read(proc.pwd)).toBe(codeDir);
    expect(await read(proc.hello)).toBe('hello from the package');
  }, 180_000);

  it('fails a python: step at once when its requirements file is not in the package', async () => {
    const yaml = await specWithCode(h, join(dir, 'python.yaml'));
    const { error } = await runToEnd(h, runInput(planFrom(yaml)));
    expect(String(error?.cause?.message)).toMatch(/python\.requirements: missing\.txt is not in the code package/);
  }, 120_000);
});
