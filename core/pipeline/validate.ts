/** Entry point for untrusted spec documents: YAML/JSON text or an already-parsed value. */
import YAML from 'yaml';
import type { z } from 'zod';
import { checkSpec } from './checks.js';
import { jsonPath, type SpecIssue } from './issues.js';
import { pipelineSchema, type PipelineSpec } from './schema.js';
import { findNul, NO_NUL, NO_NUL_HINT } from '../util/text.js';

export type SpecResult = { ok: true; spec: PipelineSpec } | { ok: false; errors: SpecIssue[] };

function zodIssues(issues: readonly z.core.$ZodIssue[], base: PropertyKey[] = []): SpecIssue[] {
  return issues.flatMap((iss): SpecIssue[] => {
    const path = [...base, ...iss.path];
    if (iss.code === 'unrecognized_keys') {
      return iss.keys.map((key) => ({ path: jsonPath([...path, key]), message: `unknown field '${key}'` }));
    }
    if (iss.code === 'invalid_key') {
      return zodIssues(iss.issues, path).map((sub) => ({ ...sub, message: `invalid key: ${sub.message}` }));
    }
    return [{ path: jsonPath(path), message: iss.message }];
  });
}

/** YAML is a superset of JSON, so one parser reads both. */
function parseText(text: string): { ok: true; value: unknown } | { ok: false; errors: SpecIssue[] } {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const where = at ? `line ${at.line}, column ${at.col}: ` : '';
        const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return { path: '$', message: `invalid YAML: ${where}${what}` };
      }),
    };
  }
  return { ok: true, value: doc.toJS() };
}

export function parsePipelineSpec(input: unknown): SpecResult {
  let value = input;
  if (typeof input === 'string' && !NO_NUL.test(input))
    return { ok: false, errors: [{ path: '$', message: NO_NUL_HINT }] };
  if (typeof input === 'string') {
    const parsed = parseText(input);
    if (!parsed.ok) return parsed;
    value = parsed.value;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: [{ path: '$', message: 'a pipeline spec must be a mapping (object)' }] };
  }
  // The spec is stored as jsonb, which cannot hold NUL anywhere, even where the schema allows any text.
  const nul = findNul(value);
  if (nul) return { ok: false, errors: [{ path: jsonPath(nul), message: NO_NUL_HINT }] };
  const result = pipelineSchema.safeParse(value);
  // Cross-field checks need a structurally valid spec, so they run only once the schema passes.
  if (!result.success) return { ok: false, errors: zodIssues(result.error.issues) };
  const errors = checkSpec(result.data);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, spec: result.data };
}
