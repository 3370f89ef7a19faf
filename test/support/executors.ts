import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueId } from './services.js';
import type { StepRunRequest } from '../../activities/executors/types.js';

/** Test helpers shared by the executor tests (not used by production code). */
export interface LogLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

const workDirs: string[] = [];

/** A request with its own runId and a fresh workDir (with inputs/) under os.tmpdir(). */
export async function newStep(
  overrides: Partial<StepRunRequest> = {},
): Promise<{ req: StepRunRequest; logs: LogLine[] }> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'sluice-exec-'));
  workDirs.push(workDir);
  await mkdir(path.join(workDir, 'inputs'));
  const logs: LogLine[] = [];
  const req: StepRunRequest = {
    runId: uniqueId('run'),
    stepId: 'train',
    attempt: 1,
    image: 'sluice/busybox:1',
    command: [],
    args: [],
    env: {},
    params: {},
    workDir,
    inputNames: [],
    outputNames: [],
    resources: {},
    timeoutMs: 30_000,
    onLog: (stream, line) => logs.push({ stream, line }),
    signal: new AbortController().signal,
    ...overrides,
  };
  return { req, logs };
}

export async function removeWorkDirs(): Promise<void> {
  await Promise.all(workDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export const linesOf = (logs: LogLine[], stream: 'stdout' | 'stderr') =>
  logs.filter((l) => l.stream === stream).map((l) => l.line);

export const readOutput = (req: StepRunRequest, name: string) =>
  readFile(path.join(req.workDir, 'outputs', name), 'utf8');

/** True while the pid exists and is not a zombie. */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Runs req in test/fixtures/executor-process.ts, a node process of its own, as another worker would. */
export function spawnExecutorProcess(
  kind: 'docker' | 'process' | 'kubernetes',
  req: StepRunRequest,
  env: Record<string, string> = {},
): ChildProcess {
  const { onLog: _onLog, signal: _signal, ...plain } = req;
  const script = fileURLToPath(new URL('../fixtures/executor-process.ts', import.meta.url));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return spawn(process.execPath, ['--import', 'tsx', script, kind, JSON.stringify(plain)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
