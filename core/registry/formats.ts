import { extname } from 'node:path';

const BY_EXTENSION: Record<string, string> = {
  '.onnx': 'onnx',
  '.pkl': 'pickle',
  '.pickle': 'pickle',
  '.joblib': 'joblib',
  '.pt': 'pytorch',
  '.pth': 'pytorch',
  '.safetensors': 'safetensors',
  '.h5': 'keras-h5',
  '.keras': 'keras',
  '.json': 'json',
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.parquet': 'parquet',
  '.jsonl': 'jsonl',
  '.txt': 'text',
  '.tar': 'tar',
  '.zip': 'zip',
};

export const FORMAT = /^[a-z0-9][a-z0-9._+-]{0,63}$/;

/** The format given, else one guessed from a file name, else `dir` for a directory, else `unknown`. */
export function inferFormat(
  given: string | undefined,
  fileName: string | null | undefined,
  kind: 'file' | 'dir',
): string {
  if (given) return given;
  if (kind === 'dir') return 'dir';
  return (fileName && BY_EXTENSION[extname(fileName).toLowerCase()]) || 'unknown';
}

const EXTENSION_OF: Record<string, string> = Object.fromEntries(
  Object.entries(BY_EXTENSION)
    .reverse()
    .map(([ext, f]) => [f, ext]),
);

/** A download file name: `<name>-v<version>` plus the format's usual extension (`.tar` for a directory). */
export function downloadName(name: string, version: number, format: string, kind: 'file' | 'dir'): string {
  return `${name}-v${version}${kind === 'dir' ? '.tar' : (EXTENSION_OF[format] ?? (format === 'sklearn-pickle' ? '.pkl' : ''))}`;
}
