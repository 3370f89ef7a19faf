/**
 * `${params.NAME}` templates in command, args and env. Any other `${...}` (e.g. a shell variable) is left
 * untouched, and `$${` escapes a literal `${`.
 */
import { PARAM_NAME } from './inputs.js';

export type ParamValue = string | number | boolean;

const TEMPLATE = /\$(\$?)\{\s*params\.([^}\s]*)\s*\}/g;

export interface TemplateRef {
  name: string;
  /** False when the name is not a valid param name (e.g. `${params.}`). */
  valid: boolean;
}

export function templateRefs(s: string): TemplateRef[] {
  const refs: TemplateRef[] = [];
  for (const m of s.matchAll(TEMPLATE)) {
    if (m[1]) continue;
    refs.push({ name: m[2]!, valid: PARAM_NAME.test(m[2]!) });
  }
  return refs;
}

export function renderTemplate(s: string, params: Record<string, ParamValue>): string {
  return s.replace(TEMPLATE, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    if (!Object.hasOwn(params, name)) throw new Error(`template refers to unknown param '${name}'`);
    return String(params[name]);
  });
}
