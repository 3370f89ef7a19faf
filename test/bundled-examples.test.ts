import { describe, expect, it } from 'vitest';
import { getPipelineVersion } from '../core/pipeline/versions.js';
import { applyBundledExamples } from '../workers/examples.js';
import { useHarness } from './support/harness.js';

describe('the bundled examples at start-up', () => {
  const h = useHarness();

  it('applies each example with its code once, then leaves them alone', async () => {
    const said: string[] = [];
    const deps = { db: h.db, artifacts: h.deps.artifacts };
    const first = await applyBundledExamples(deps, (m) => said.push(m));
    expect(said).toEqual([]);
    expect(first.applied).toContain('train-sklearn');
    expect(first.showcase).toBeDefined();
    const stored = await getPipelineVersion(h.db, 'train-sklearn');
    expect((stored!.spec as { code: string }).code).toMatch(/^sha256:[0-9a-f]{64}$/);
    const again = await applyBundledExamples(deps, (m) => said.push(m));
    expect(again).toMatchObject({ applied: [], names: first.names, showcase: first.showcase });
    expect((await getPipelineVersion(h.db, 'train-sklearn'))!.version).toBe(1);
  });
});
