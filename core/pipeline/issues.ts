/** A validation problem, located by a JSON path such as `$.steps[2].inputs.model`. */
export interface SpecIssue {
  path: string;
  message: string;
}

/** `['steps', 2, 'inputs', 'a.b']` -> `$.steps[2].inputs["a.b"]`. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}
