/** Names, aliases and tags of the registry: one grammar for the API, the URIs and the repositories. */
import { NO_CONTROL, NO_CONTROL_HINT } from '../util/text.js';

export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const MODEL_NAME_HINT = '1-128 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit';
export const ALIAS_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
export const ALIAS_NAME_HINT = '1-64 characters of a-z, 0-9, "_" and "-", starting with a letter';
/** `latest` always means the newest registered version, so no alias may shadow it. */
export const RESERVED_ALIASES: readonly string[] = ['latest'];

export const TAG_KEY = /^[A-Za-z0-9_./-]{1,64}$/;
export const TAG_KEY_HINT = '1-64 characters of A-Z, a-z, 0-9, "_", ".", "/" and "-"';
export const MAX_TAG_VALUE = 256;
export const MAX_TAGS = 50;

export type Tags = Record<string, string>;

/** A tag filter `key` (has the tag) or `key:value` (has it with that value). */
export interface TagFilter {
  key: string;
  value?: string;
}

export function parseTagFilter(s: string): TagFilter | string {
  const i = s.indexOf(':');
  const key = i < 0 ? s : s.slice(0, i);
  if (!TAG_KEY.test(key))
    return `tag filter ${JSON.stringify(s)}: expected key or key:value, key being ${TAG_KEY_HINT}`;
  const value = i < 0 ? undefined : s.slice(i + 1);
  if (value !== undefined && !NO_CONTROL.test(value)) return `tag filter value: ${NO_CONTROL_HINT}`;
  return value === undefined ? { key } : { key, value };
}
