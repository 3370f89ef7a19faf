import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { INSTANCE_LOG } from './instance.js';

/** Where a worker on this machine keeps its serving instances: `<dataDir>/serving`. */
export const servingDir = (dataDir: string): string => path.join(dataDir, 'serving');

const TAIL_BYTES = 1024 * 1024;

/** The last `tail` lines of each instance's log of a deployment (every version on disk, or one). */
export async function instanceLogs(
  dataDir: string,
  deployment: string,
  opts: { version?: number; tail: number },
): Promise<Array<{ version: number; lines: string[] }>> {
  const root = path.join(servingDir(dataDir), deployment);
  const versions = opts.version
    ? [opts.version]
    : (await readdir(root).catch(() => [] as string[]))
        .map((d) => /^v(\d+)$/.exec(d)?.[1])
        .filter((v): v is string => v !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
  const out: Array<{ version: number; lines: string[] }> = [];
  for (const version of versions) {
    const file = path.join(root, `v${version}`, INSTANCE_LOG);
    const fh = await open(file, 'r').catch(() => undefined);
    if (!fh) continue;
    try {
      const size = (await fh.stat()).size;
      const start = Math.max(0, size - TAIL_BYTES);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      out.push({ version, lines: lines.slice(-opts.tail) });
    } finally {
      await fh.close();
    }
  }
  return out;
}
