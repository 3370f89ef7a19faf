/** Syntax of a step input source: another step's output, a param holding a URI, or a literal URI. */

export type InputRef =
  { type: 'step'; step: string; output: string } | { type: 'param'; name: string } | { type: 'uri'; uri: string };

export const STEP_ID = /^[a-z][a-z0-9_-]*$/;
export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Output and input names become file names under /sluice/outputs/ and /sluice/inputs/. */
export const FILE_NAME = /^[A-Za-z0-9._-]+$/;

export function isFileName(s: string): boolean {
  return FILE_NAME.test(s) && s !== '.' && s !== '..';
}

const URI_FORMS: RegExp[] = [
  /^s3:\/\/[^/\s]+\/\S+$/,
  /^file:\/\/\/\S+$/,
  /^models:\/[A-Za-z0-9._-]+(@[A-Za-z0-9._-]+|\/\d+)$/,
  /^datasets:\/[A-Za-z0-9._-]+(\/\d+|@latest)$/,
  /^sha256:[0-9a-f]{64}$/,
];

export const URI_HINT =
  's3://bucket/key, file:///path, models:/name@alias, models:/name/N, datasets:/name/N, datasets:/name@latest or sha256:<hex>';

export function isSourceUri(s: string): boolean {
  return URI_FORMS.some((re) => re.test(s));
}

/** Returns the parsed source, or an error message. */
export function parseInputSource(src: string): InputRef | string {
  if (src.startsWith('steps.')) {
    // Step ids cannot contain dots, so everything after `.outputs.` is the (possibly dotted) output name.
    const m = /^steps\.([^.]+)\.outputs\.(.+)$/.exec(src);
    if (!m || !STEP_ID.test(m[1]!) || !isFileName(m[2]!)) {
      return `invalid step output reference ${JSON.stringify(src)}: expected steps.<id>.outputs.<output>`;
    }
    return { type: 'step', step: m[1]!, output: m[2]! };
  }
  if (src.startsWith('params.')) {
    const name = src.slice('params.'.length);
    if (!PARAM_NAME.test(name)) return `invalid param reference ${JSON.stringify(src)}: expected params.<name>`;
    return { type: 'param', name };
  }
  if (isSourceUri(src)) return { type: 'uri', uri: src };
  return `invalid input source ${JSON.stringify(src)}: expected steps.<id>.outputs.<output>, params.<name> or a URI (${URI_HINT})`;
}
