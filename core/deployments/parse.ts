/** Untrusted deployment specs (YAML/JSON text or a parsed value) into a checked spec or field errors. */
import YAML from 'yaml';
import type { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors.js';
import { jsonPath } from '../pipeline/issues.js';
import { deploymentSpecSchema, type DeploymentSpec } from './spec.js';

function issuesOf(issues: readonly z.core.$ZodIssue[], base: PropertyKey[]): FieldIssue[] {
  return issues.flatMap((iss): FieldIssue[] => {
    const path = [...base, ...iss.path];
    if (iss.code === 'unrecognized_keys')
      return iss.keys.map((key) => ({ path: jsonPath([...path, key]), message: `unknown field '${key}'` }));
    return [{ path: jsonPath(path), message: iss.message }];
  });
}

/**
 * Parses a spec; throws a ValidationError whose issues name each offending field as a JSON path
 * under `base` (`$.spec.server.command`, or `$.server.command` for a YAML body).
 */
export function parseDeploymentSpec(input: unknown, base: PropertyKey[] = []): DeploymentSpec {
  let value = input;
  if (typeof input === 'string') {
    const doc = YAML.parseDocument(input, { uniqueKeys: true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const at = e.linePos?.[0];
      throw new ValidationError('invalid deployment spec', [
        {
          path: jsonPath(base),
          message: `invalid YAML: ${at ? `line ${at.line}, column ${at.col}: ` : ''}${e.message.split('\n')[0]}`,
        },
      ]);
    }
    value = doc.toJS();
  }
  const parsed = deploymentSpecSchema.safeParse(value);
  if (!parsed.success) throw new ValidationError('invalid deployment spec', issuesOf(parsed.error.issues, base));
  return parsed.data;
}
