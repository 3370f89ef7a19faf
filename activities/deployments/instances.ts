import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { INSTANCE_LOG, instanceDirName, type InstanceRef } from '../../core/deployments/instance.js';
import type { DeploymentSpec } from '../../core/deployments/spec.js';
import { requireVersion } from '../../core/registry/models/versions-read.js';
import { defaultToolsDir } from '../../core/temporal/binary.js';
import { codeDirFor } from '../code-dir.js';
import type { ActivityDeps } from '../deps.js';
import { PythonEnvs } from '../executors/python-env.js';
import { appendFile } from 'node:fs/promises';
import { findProcessInstance, spawnProcessInstance, stopProcessInstance } from './process-instance.js';

/** ApplicationFailure types of the serving activities: a spec or registry problem no retry fixes. */
export const ServingFailure = { InvalidServer: 'InvalidServer' } as const;

export interface StartInstanceInput {
  deployment: string;
  model: string;
  version: number;
  server: DeploymentSpec['server'];
  code?: string;
}

/** Serving instances live beside the steps' work directories: `<dataDir>/serving`. */
export const servingRoot = (deps: Pick<ActivityDeps, 'workRoot'>): string =>
  path.join(path.dirname(deps.workRoot), 'serving');

export function instanceDir(deps: Pick<ActivityDeps, 'workRoot'>, deployment: string, version: number): string {
  return path.join(servingRoot(deps), instanceDirName(deployment, version));
}

/** A free loopback port (the server binds it moments later; a lost race shows as a failed readiness). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

function executorFor(server: DeploymentSpec['server']): 'process' | 'docker' {
  // Serving in containers is not built yet: without an explicit executor every worker serves as a
  // local process, which any worker can do.
  if (server.executor === 'docker') {
    throw ApplicationFailure.nonRetryable(
      'server.executor docker: serving in containers is not implemented yet on this worker; use executor: process',
      ServingFailure.InvalidServer,
    );
  }
  return 'process';
}

/**
 * Starts one instance of (deployment, version), or adopts the one already running: the model
 * version's artifact is fetched into `<instance>/model` (a file artifact keeps its output name),
 * the server gets a free loopback port and SLUICE_MODEL_DIR / _NAME / _VERSION / SLUICE_PORT /
 * SLUICE_DEPLOYMENT, and its output goes to `<instance>/server.log`.
 */
export function startInstanceActivity(deps: ActivityDeps) {
  const pythonEnvs = new PythonEnvs(deps.toolsDir ?? defaultToolsDir());
  return async function startInstance(i: StartInstanceInput): Promise<InstanceRef> {
    const executor = executorFor(i.server);
    const dir = instanceDir(deps, i.deployment, i.version);
    const base = { deployment: i.deployment, model: i.model, version: i.version, executor, dir };
    const running = await findProcessInstance(base);
    if (running) return { ...base, url: `http://127.0.0.1:${running.port}`, adopted: true };

    const mv = await requireVersion(deps.db, i.model, { version: i.version }).catch((err: unknown) => {
      throw ApplicationFailure.nonRetryable(
        `model ${i.model}/${i.version}: ${(err as Error).message}`,
        ServingFailure.InvalidServer,
      );
    });
    const modelDir = path.join(dir, 'model');
    const modelPath = mv.artifact.kind === 'dir' ? modelDir : path.join(modelDir, mv.lineage.output ?? 'model');
    if (!(await exists(modelPath))) await deps.artifacts.fetchTo(mv.artifact, modelPath);
    const logFile = path.join(dir, INSTANCE_LOG);
    const log = (line: string) => appendFile(logFile, `[sluice] ${line}\n`).catch(() => undefined);

    let cwd = dir;
    let pathPrefix: string | undefined;
    if (i.code) cwd = await codeDirFor(deps, i.code);
    if (i.server.python) {
      if (!i.code)
        throw ApplicationFailure.nonRetryable(
          "server.python needs the deployment's code package (code)",
          ServingFailure.InvalidServer,
        );
      const ctx = Context.current();
      const venv = await pythonEnvs.ensure(cwd, i.server.python.requirements, {
        onLog: (_s, line) => {
          ctx.heartbeat();
          void log(line);
        },
        signal: ctx.cancellationSignal,
      });
      if (!venv.ok)
        throw ApplicationFailure.nonRetryable(
          `building the server's Python environment failed (exit code ${venv.exitCode}); see the deployment's logs`,
          ServingFailure.InvalidServer,
        );
      pathPrefix = path.join(venv.dir, 'bin');
    }
    const port = await freePort();
    await log(`starting ${i.model}/${i.version} on 127.0.0.1:${port}: ${i.server.command.join(' ')}`);
    await spawnProcessInstance({
      ref: base,
      command: i.server.command,
      env: i.server.env ?? {},
      cwd,
      port,
      modelDir,
      pathPrefix,
      logFile,
    }).catch((err: unknown) => {
      throw ApplicationFailure.nonRetryable((err as Error).message, ServingFailure.InvalidServer);
    });
    return { ...base, url: `http://127.0.0.1:${port}`, adopted: false };
  };
}

/** Stops the instance of (deployment, version) on this worker; an instance already gone is fine. */
export function stopInstanceActivity(deps: ActivityDeps) {
  return async function stopInstance(i: { deployment: string; version: number }): Promise<{ stopped: number }> {
    const dir = instanceDir(deps, i.deployment, i.version);
    const pids = await stopProcessInstance({ deployment: i.deployment, version: i.version, dir });
    return { stopped: pids.length };
  };
}
