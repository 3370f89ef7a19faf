import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { getRunSteps, getRun } from '../core/runs/projection.js';
import { useHarness } from './support/harness.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

// A diamond: a -> (b, c) -> d, with process steps passing files along.
const diamond = `
apiVersion: sluice/v1
name: diamond
params:
  greeting: { type: string, default: hello }
steps:
  - id: a
    image: none
    command: [sh, -c, 'echo "$GREETING" > "$SLUICE_OUTPUTS_DIR/text"; echo "{\\"n\\": 1}" > "$SLUICE_OUTPUTS_DIR/metrics.json"']
    env: { GREETING: "\${params.greeting}" }
    outputs: [text, metrics.json]
  - id: b
    image: none
    command: [sh, -c, 'tr a-z A-Z < "$SLUICE_INPUTS_DIR/text" > "$SLUICE_OUTPUTS_DIR/upper"']
    inputs: { text: steps.a.outputs.text }
    outputs: [upper]
  - id: c
    image: none
    command: [sh, -c, 'rev < "$SLUICE_INPUTS_DIR/text" > "$SLUICE_OUTPUTS_DIR/reversed"']
    inputs: { text: steps.a.outputs.text }
    outputs: [reversed]
  - id: d
    image: none
    command: [sh, -c, 'cat "$SLUICE_INPUTS_DIR/u" "$SLUICE_INPUTS_DIR/r" > "$SLUICE_OUTPUTS_DIR/both"']
    inputs: { u: steps.b.outputs.upper, r: steps.c.outputs.reversed }
    outputs: [both]
`;

describe('runPipeline with the process executor', () => {
  const h = useHarness({ worker: true });

  it('runs a diamond DAG, passing artifacts between steps', async () => {
    const input = runInput(planFrom(diamond, { greeting: 'sluice' }));
    const { status, error } = await runToEnd(h, input);
    expect(error).toBeUndefined();
    expect(status!.state).toBe('succeeded');
    expect(status!.steps.map((s) => [s.id, s.state])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
      ['d', 'succeeded'],
    ]);
    const both = status!.steps.find((s) => s.id === 'd')!.outputs.both!;
    const local = new URL(both.uri).pathname;
    expect(await readFile(local, 'utf8')).toBe('SLUICE\neciuls\n');
    expect(status!.steps[0]!.metrics).toEqual({ n: 1 });

    const run = await getRun(h.db, input.runId);
    expect(run).toMatchObject({ status: 'succeeded', pipeline: 'diamond', trigger: 'test' });
    const steps = await getRunSteps(h.db, input.runId);
    expect(steps.map((s) => s.status).sort()).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });
});
