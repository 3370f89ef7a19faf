import { execFile, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { LineSplitter } from './lines.js';
import { ExecutorError, type StepRunRequest } from './types.js';

export type PythonEnvResult = { ok: true; dir: string } | { ok: false; exitCode: number };

/** A command in the build, with its output in the step's log. */
function logged(cmd: string, args: string[], req: Pick<StepRunRequest, 'onLog' | 'signal'>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: req.signal });
    const out = new LineSplitter((line) => req.onLog('stdout', line));
    const err = new LineSplitter((line) => req.onLog('stderr', line));
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new ExecutorError('CommandNotFound', `${cmd} is needed to build a Python step: ${e.message}`)
          : e,
      ),
    );
    child.on('close', (code) => {
      out.end();
      err.end();
      resolve(code ?? 1);
    });
  });
}

/**
 * Python environments for the process executor: one venv per (interpreter, requirements) digest
 * under `<tools>/venvs/`, built with `python3 -m venv` and `pip install -r`, and reused by every
 * later step. A build happens in a temporary directory renamed into place when complete, so a
 * crashed build leaves nothing half-made behind and two builds of the same digest (two workers
 * on one machine) cannot collide: the second rename loses and its copy is dropped.
 */
export class PythonEnvs {
  private readonly root: string;
  private version?: Promise<string>;
  /** Builds in flight in this process, by digest: concurrent steps share one. */
  private readonly building = new Map<string, Promise<PythonEnvResult>>();

  constructor(
    toolsDir: string,
    private readonly python = 'python3',
  ) {
    this.root = path.join(toolsDir, 'venvs');
  }

  /** The venv for `requirements` (a path inside `codeDir`), built if needed, with progress in the step's log. */
  async ensure(
    codeDir: string,
    requirements: string,
    req: Pick<StepRunRequest, 'onLog' | 'signal'>,
  ): Promise<PythonEnvResult> {
    const file = path.join(codeDir, requirements);
    const content = await readFile(file).catch(() => {
      throw new ExecutorError('InvalidRequest', `python.requirements: ${requirements} is not in the code package`);
    });
    this.version ??= promisify(execFile)(this.python, ['-c', 'import sys; print(sys.version)']).then(
      (r) => r.stdout.trim(),
      (e: Error) => {
        this.version = undefined;
        throw new ExecutorError('CommandNotFound', `${this.python} is needed to build a Python step: ${e.message}`);
      },
    );
    const digest = createHash('sha256')
      .update(`v1\0${await this.version}\0`)
      .update(content)
      .digest('hex')
      .slice(0, 32);
    const dir = path.join(this.root, digest);
    if (await exists(path.join(dir, 'bin', 'python'))) {
      req.onLog('stderr', `[sluice] Python environment ${dir} (reused)`);
      return { ok: true, dir };
    }
    let build = this.building.get(digest);
    if (!build) {
      build = this.build(dir, file, requirements, req).finally(() => this.building.delete(digest));
      this.building.set(digest, build);
    } else req.onLog('stderr', `[sluice] waiting for the Python environment another step is building`);
    return build;
  }

  private async build(
    dir: string,
    file: string,
    requirements: string,
    req: Pick<StepRunRequest, 'onLog' | 'signal'>,
  ): Promise<PythonEnvResult> {
    const started = Date.now();
    const tmp = path.join(this.root, `.build-${randomUUID()}`);
    req.onLog('stderr', `[sluice] building the Python environment for ${requirements} into ${dir}`);
    await mkdir(this.root, { recursive: true });
    try {
      let code = await logged(this.python, ['-m', 'venv', tmp], req);
      if (code === 0)
        code = await logged(
          path.join(tmp, 'bin', 'python'),
          ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off', '-r', file],
          req,
        );
      if (code !== 0) {
        req.onLog('stderr', `[sluice] building the Python environment failed (exit code ${code})`);
        return { ok: false, exitCode: code };
      }
      await relocateTo(tmp, dir);
      req.onLog('stderr', `[sluice] Python environment ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return { ok: true, dir };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}

/**
 * A venv names its own path in its scripts' shebangs and activate files: rewritten to `dir` before
 * the rename, so `bin/pip` and console scripts work there. A venv already at `dir` (another build) wins.
 */
async function relocateTo(tmp: string, dir: string): Promise<void> {
  const bin = path.join(tmp, 'bin');
  for (const name of await readdir(bin)) {
    const file = path.join(bin, name);
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile() || st.size > 1024 * 1024) continue;
    const text = await readFile(file, 'latin1');
    if (text.includes(tmp)) await writeFile(file, text.split(tmp).join(dir), 'latin1');
  }
  try {
    await rename(tmp, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
