import { chmod, chown, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { StepRunRequest } from './types.js';

/** The host-side directories of a step's workDir. */
export function stepDirs(workDir: string): { inputs: string; outputs: string; work: string } {
  return {
    inputs: path.join(workDir, 'inputs'),
    outputs: path.join(workDir, 'outputs'),
    work: path.join(workDir, 'work'),
  };
}

/** Creates inputs/ (when the step has none) and outputs/. */
export async function ensureStepDirs(workDir: string): Promise<void> {
  const dirs = stepDirs(workDir);
  await mkdir(dirs.inputs, { recursive: true });
  await mkdir(dirs.outputs, { recursive: true });
}

/**
 * Empties a directory but keeps it (it may already be a container's bind-mount source):
 * leftovers of an earlier attempt must not be mistaken for this attempt's outputs.
 */
export async function emptyDir(dir: string): Promise<void> {
  const entries = await readdir(dir);
  await Promise.all(entries.map((name) => rm(path.join(dir, name), { recursive: true, force: true })));
}

/** req.env plus the SLUICE_* contract variables, which win over req.env. */
export function stepEnv(
  req: StepRunRequest,
  inputsDir: string,
  outputsDir: string,
  codeDir?: string,
): Record<string, string> {
  return {
    ...req.env,
    SLUICE_RUN_ID: req.runId,
    SLUICE_STEP_ID: req.stepId,
    SLUICE_PARAMS: JSON.stringify(req.params ?? {}),
    SLUICE_INPUTS_DIR: inputsDir,
    SLUICE_OUTPUTS_DIR: outputsDir,
    ...(codeDir !== undefined ? { SLUICE_CODE_DIR: codeDir } : {}),
  };
}

/** A uid:gid a step runs as, instead of the worker's own. */
export interface StepUser {
  uid: number;
  gid: number;
}

/**
 * Lets the step's user write into a directory the worker created: a root worker hands it over
 * (chown); any other worker cannot, so it opens the directory to everyone (its parent, the
 * step's workDir, is the worker's own and not listed by others' steps).
 */
export async function giveDirTo(dir: string, user: StepUser): Promise<void> {
  if (process.getuid?.() === 0) await chown(dir, user.uid, user.gid);
  else await chmod(dir, 0o777);
}
