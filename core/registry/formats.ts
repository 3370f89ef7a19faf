import { extname } from 'node:path';

const BY_EXTENSION: Record<string, string> = {
  '.onnx': 'onnx', '.pkl': 'pickle', '.pickle': 'pickle', '.joblib': 'joblib', '.pt': 'pytorch', '.pth': 'pytorch',
  '.safetensors': 'safetensors', '.h5': 'keras-h5', '.keras': 'keras', '.json': 'json', '.csv': 'csv', '.tsv': 'tsv',
  '.parquet': 'parquet', '.jsonl': 'jsonl', '.txt': 'text', '.tar': 'tar', '.zip': 'zip',
};

export const FORMAT = /^[a-z0-9][a-z0-9._+-]{0,63}$/;

/** The format given, else one guessed from a file name, else `dir` for a directory, else `unknown`. */
export function inferFormat(given: string | undefined, fileName: string | null | undefined, kind: 'file' | 'dir'): string {
  if (given) return given;
  if (kind === 'dir') return 'dir';
  return (fileName && BY_EXTENSION[extname(fileName).toLowerCase()]) || 'unknown';
}
