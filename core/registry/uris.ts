import { ALIAS_NAME, MODEL_NAME } from './names.js';

/** A model version by number, or by alias (`latest`: the newest registered version). */
export type VersionRef = { version: number } | { alias: string };
export interface ModelRef {
  name: string;
  ref: VersionRef;
}
export interface DatasetRef {
  name: string;
  ref: { version: number } | { alias: 'latest' };
}

export const MODEL_URI_HINT = 'models:/<name>/<version> or models:/<name>@<alias>';
export const DATASET_URI_HINT = 'datasets:/<name>/<version> or datasets:/<name>@latest';

/** `3` → version 3; `@champion` or `champion` → that alias; `latest` → the newest registered version. */
export function parseVersionRef(s: string): VersionRef | undefined {
  if (/^[1-9]\d{0,8}$/.test(s)) return { version: Number(s) };
  const alias = s.startsWith('@') ? s.slice(1) : s;
  return ALIAS_NAME.test(alias) ? { alias } : undefined;
}

export function parseModelUri(uri: string): ModelRef | undefined {
  const m = /^models:\/([^/@]+)(?:\/([1-9]\d{0,8})|@([^/@]+))$/.exec(uri);
  if (!m || !MODEL_NAME.test(m[1]!)) return undefined;
  if (m[2]) return { name: m[1]!, ref: { version: Number(m[2]) } };
  return ALIAS_NAME.test(m[3]!) ? { name: m[1]!, ref: { alias: m[3]! } } : undefined;
}

export function parseDatasetUri(uri: string): DatasetRef | undefined {
  const m = /^datasets:\/([^/@]+)(?:\/([1-9]\d{0,8})|@(latest))$/.exec(uri);
  if (!m || !MODEL_NAME.test(m[1]!)) return undefined;
  return { name: m[1]!, ref: m[2] ? { version: Number(m[2]) } : { alias: 'latest' } };
}

export const modelVersionUri = (name: string, version: number): string => `models:/${name}/${version}`;
export const datasetVersionUri = (name: string, version: number): string => `datasets:/${name}/${version}`;

export function describeRef(name: string, ref: VersionRef): string {
  return 'version' in ref ? `${name}/${ref.version}` : `${name}@${ref.alias}`;
}
