import { describe, expect, it } from 'vitest';
import { canonicalJson, specDigest } from './hash.js';
import { parsePipelineSpec } from './validate.js';

function digestOf(input: unknown): string {
  const result = parsePipelineSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return specDigest(result.spec);
}

const A = `
apiVersion: sluice/v1
name: demo
params:
  C: { type: number, default: 1, min: 0 }
steps:
  - id: train
    image: img:1
    args: ["--c", "\${params.C}"]
    env: { A: "1", B: "2" }
`;

const A_REORDERED = `
# same content, different key order and formatting
steps:
  - env:
      B: "2"
      A: "1"
    args:
      - --c
      - \${params.C}
    image: "img:1"
    kind: container
    id: train
params:
  C:
    min: 0
    default: 1
    type: number
name: demo
settings: {}
apiVersion: "sluice/v1"
`;

describe('specDigest', () => {
  it('is a sha256 hex digest', () => expect(digestOf(A)).toMatch(/^[0-9a-f]{64}$/));

  it('ignores key order, formatting and spelled-out defaults', () => {
    expect(digestOf(A_REORDERED)).toBe(digestOf(A));
  });

  it('changes when content changes', () => {
    expect(digestOf(A.replace('img:1', 'img:2'))).not.toBe(digestOf(A));
    expect(digestOf(A.replace('default: 1', 'default: 2'))).not.toBe(digestOf(A));
  });

  it('keeps array order significant', () => {
    expect(digestOf(A.replace('["--c", "${params.C}"]', '["${params.C}", "--c"]'))).not.toBe(digestOf(A));
  });

  it('sorts keys recursively', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
  });
});
