import { spawn } from 'node:child_process';
import { access, constants, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultToolsDir } from '../../core/temporal/binary.js';

const HOOKS_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Pinned: a new version brings new checks. Keep in step with SCHEMATHESIS_VERSION in scripts/lib.sh. */
export const SCHEMATHESIS_VERSION = '4.32.5';

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NO_COLOR: '1',
        PYTHONUNBUFFERED: '1',
        // Serialisers for the bodies schemathesis cannot make itself (schemathesis_hooks.py).
        PYTHONPATH: HOOKS_DIR,
        SCHEMATHESIS_HOOKS: 'schemathesis_hooks',
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

const executable = (path: string) =>
  access(path, constants.X_OK).then(
    () => true,
    () => false,
  );

/**
 * The schemathesis CLI from a venv in the tools dir, one per pinned version (scripts/test-services.sh
 * makes the same venv, so `npm test` pays the pip install once). Idempotent: a venv without the CLI
 * (an interrupted install) is made again.
 */
export async function ensureSchemathesis(
  toolsDir = process.env.SLUICE_TOOLS_DIR ?? defaultToolsDir(),
): Promise<string> {
  const venv = join(toolsDir, `schemathesis-${SCHEMATHESIS_VERSION}`);
  const cli = join(venv, 'bin', 'schemathesis');
  if (await executable(cli)) return cli;
  await mkdir(toolsDir, { recursive: true });
  await rm(venv, { recursive: true, force: true });
  for (const [cmd, args] of [
    ['python3', ['-m', 'venv', venv]],
    [
      join(venv, 'bin', 'pip'),
      ['install', '-q', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`],
    ],
  ] as const) {
    const r = await run(cmd, [...args]);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.output.slice(-2000)}`);
  }
  return cli;
}

export interface FuzzResult {
  code: number;
  output: string;
  /** The closing line, e.g. `=== 3 failures, 2 warnings in 81.2s ===`. */
  summary: string;
  /** One entry per failing operation: its name, the failed checks and how to reproduce it. */
  failures: string[];
}

/** Runs `schemathesis run` and picks its summary line and failing cases out of the plain-text report. */
export async function runSchemathesis(cli: string, args: string[], cwd: string): Promise<FuzzResult> {
  const { code, output } = await run(cli, ['--no-color', ...args], { cwd });
  const lines = output.split('\n');
  const summary = [...lines].reverse().find((l) => /^=+ .* in [\d.]+s =+$/.test(l.trim())) ?? '(no summary line)';
  const failures: string[] = [];
  let current: string[] | undefined;
  let inside = false;
  for (const line of lines) {
    const section = /^=+ ([A-Z]+) =+$/.exec(line.trim());
    if (section) {
      // Failed checks, and errors (requests that could not be made or answered).
      inside = section[1] === 'FAILURES' || section[1] === 'ERRORS';
      current = undefined;
      continue;
    }
    if (inside) {
      const head = /^_{3,} (.+?) _{3,}$/.exec(line.trim());
      if (head) {
        current = [head[1]!];
        failures.push('');
      } else if (
        current &&
        /^\s*(- ST\d+|\d+\. Test Case ID|curl |\[\d{3}\]|Received:|Documented:|\S*Error)/.test(line)
      ) {
        current.push(line.trim().slice(0, 500));
      }
      if (current) failures[failures.length - 1] = current.join('\n  ');
    }
  }
  return { code, output, summary: summary.trim(), failures };
}
