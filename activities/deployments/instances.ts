import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { INSTANCE_LOG, instanceDirName, type InstanceRef } from '../../core/deployments/instance.js';
import type { DeploymentSpec, ServerExecutor } from '../../core/deployments/spec.js';
import { FailureType } from '../../core/errors.js';
import { checkServer } from '../../core/policy/check.js';
import { stepUsers } from '../../core/policy/users.js';
import { requireVersion } from '../../core/registry/models/versions-read.js';
import { defaultToolsDir } from '../../core/temporal/binary.js';
import { codeDirFor } from '../code-dir.js';
import type { ActivityDeps } from '../deps.js';
import { PythonEnvs } from '../executors/python-env.js';
import { appendFile } from 'node:fs/promises';
import {
  dockerReachable,
  findDockerInstance,
  followLogs,
  spawnDockerInstance,
  stopDockerInstance,
} from './docker-instance.js';
import { InvalidServingObject, type KubernetesServing } from './kubernetes-instance.js';
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

function executorFor(server: DeploymentSpec['server']): ServerExecutor {
  // A server runs where its spec says; without a word, as a local process (any worker can do that).
  return server.executor ?? 'process';
}

/** Whether the instance's server still runs (its process group, or its container). */
export async function instanceAlive(instance: InstanceRef): Promise<boolean> {
  if (instance.executor === 'docker') return (await findDockerInstance(instance).catch(() => undefined)) !== undefined;
  return (await findProcessInstance(instance)) !== undefined;
}

/**
 * The worker's own line of the step policy for model servers (the API checked the spec when it was
 * applied; the policy may have tightened since): a refusal fails the rollout, naming each rule.
 */
function enforceServerPolicy(deps: ActivityDeps, server: DeploymentSpec['server']): void {
  const violations = checkServer(deps.policy, server);
  if (!violations.length) return;
  throw ApplicationFailure.create({
    message: `refused by the step policy: ${violations.map((v) => v.message).join('; ')}`,
    type: FailureType.PolicyViolation,
    nonRetryable: true,
    details: violations,
  });
}

/** As for steps, limits a server leaves unset are the policy's maximums (never "unlimited"). */
function limitedServerResources(
  deps: ActivityDeps,
  server: DeploymentSpec['server'],
): { cpu?: number; memory?: string } {
  const { maxCpu, maxMemoryMb } = deps.policy;
  const r = server.resources ?? {};
  return {
    ...r,
    ...(r.cpu === undefined && maxCpu !== undefined ? { cpu: maxCpu } : {}),
    ...(r.memory === undefined && maxMemoryMb !== undefined ? { memory: `${Math.floor(maxMemoryMb)}Mi` } : {}),
  };
}

/**
 * Why the instance will not become ready by waiting, if it will not (undefined while it may):
 * for a process or a container, that it exited; on Kubernetes, the pod's own reason.
 */
export async function instanceProblem(
  deps: Pick<ActivityDeps, 'kubernetesServing'>,
  instance: InstanceRef,
): Promise<string | undefined> {
  if (instance.executor === 'kubernetes') return deps.kubernetesServing?.problem(instance).catch(() => undefined);
  return (await instanceAlive(instance)) ? undefined : 'the server exited before it was ready';
}

/** The worker's Kubernetes serving, or a failure no retry fixes, naming what is missing. */
function kubernetesServingOf(deps: Pick<ActivityDeps, 'kubernetesServing'>): KubernetesServing {
  if (!deps.kubernetesServing)
    throw ApplicationFailure.nonRetryable(
      'server.executor kubernetes: this worker has no Kubernetes cluster configured (SLUICE_K8S_KUBECONFIG)',
      ServingFailure.InvalidServer,
    );
  return deps.kubernetesServing;
}

function servingFailure(err: unknown): unknown {
  return err instanceof InvalidServingObject
    ? ApplicationFailure.nonRetryable(err.message, ServingFailure.InvalidServer)
    : err;
}

/**
 * Starts one instance of (deployment, version), or adopts the one already running: the model
 * version's artifact is fetched into `<instance>/model` (a file artifact keeps its output name),
 * the server gets a free loopback port and SLUICE_MODEL_DIR / _NAME / _VERSION / SLUICE_PORT /
 * SLUICE_DEPLOYMENT, and its output goes to `<instance>/server.log`.
 */
export function startInstanceActivity(deps: ActivityDeps) {
  const pythonEnvs = new PythonEnvs(deps.toolsDir ?? defaultToolsDir());

  /** The version's artifact in `<instance>/model` (a file keeps its output name); fetched once. */
  async function fetchModel(i: StartInstanceInput, dir: string): Promise<string> {
    const mv = await requireVersion(deps.db, i.model, { version: i.version }).catch((err: unknown) => {
      throw ApplicationFailure.nonRetryable(
        `model ${i.model}/${i.version}: ${(err as Error).message}`,
        ServingFailure.InvalidServer,
      );
    });
    const modelDir = path.join(dir, 'model');
    const modelPath = mv.artifact.kind === 'dir' ? modelDir : path.join(modelDir, mv.lineage.output ?? 'model');
    if (!(await exists(modelPath))) await deps.artifacts.fetchTo(mv.artifact, modelPath);
    return modelDir;
  }

  /**
   * A Deployment and a Service of the version (see kubernetes-instance.ts), or the ones an earlier
   * attempt created. The model and the code package reach the pod as hostPath volumes: the worker
   * shares the node (README, "Kubernetes").
   */
  async function startOnKubernetes(
    i: StartInstanceInput,
    base: Omit<InstanceRef, 'url' | 'adopted'>,
    logFile: string,
  ): Promise<InstanceRef> {
    const k8s = kubernetesServingOf(deps);
    try {
      const found = await k8s.find(base);
      if (found) {
        await k8s.adoptService(base, found.port);
        k8s.followLogs(base, logFile, { fromNow: true });
        return { ...base, url: found.url, adopted: true };
      }
      const modelDir = await fetchModel(i, base.dir);
      const codeDir = i.code ? await codeDirFor(deps, i.code) : undefined;
      const port = k8s.portFor(await freePort());
      await appendFile(
        logFile,
        `[sluice] starting ${i.model}/${i.version} on Kubernetes (${k8s.namespace}, port ${port}): ${i.server.command.join(' ')}\n`,
      );
      const started = await k8s.start({
        ref: base,
        image: i.server.image!,
        command: i.server.command,
        env: i.server.env ?? {},
        port,
        modelDir,
        ...(codeDir ? { codeDir } : {}),
        resources: limitedServerResources(deps, i.server),
      });
      k8s.followLogs(base, logFile, { fromNow: started.adopted });
      return { ...base, url: started.url, adopted: started.adopted };
    } catch (err) {
      throw servingFailure(err);
    }
  }

  return async function startInstance(i: StartInstanceInput): Promise<InstanceRef> {
    enforceServerPolicy(deps, i.server);
    const executor = executorFor(i.server);
    const dir = instanceDir(deps, i.deployment, i.version);
    const base = { deployment: i.deployment, model: i.model, version: i.version, executor, dir };
    const logFile = path.join(dir, INSTANCE_LOG);
    if (executor === 'kubernetes') return startOnKubernetes(i, base, logFile);
    const running = executor === 'docker' ? await findDockerInstance(base) : await findProcessInstance(base);
    if (running) {
      if (executor === 'docker' && 'id' in running) void followLogs(running.id, logFile);
      return { ...base, url: `http://127.0.0.1:${running.port}`, adopted: true };
    }

    const modelDir = await fetchModel(i, dir);
    const log = (line: string) => appendFile(logFile, `[sluice] ${line}\n`).catch(() => undefined);

    let cwd = dir;
    let pathPrefix: string | undefined;
    if (i.code) cwd = await codeDirFor(deps, i.code);
    if (i.server.python && executor === 'process') {
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
    if (executor === 'docker') {
      await spawnDockerInstance({
        ref: base,
        image: i.server.image!,
        command: i.server.command,
        env: i.server.env ?? {},
        port,
        modelDir,
        ...(i.code ? { codeDir: cwd } : {}),
        resources: limitedServerResources(deps, i.server),
        user: stepUsers(deps.policy).container,
        logFile,
      }).catch((err: unknown) => {
        throw ApplicationFailure.nonRetryable((err as Error).message, ServingFailure.InvalidServer);
      });
      return { ...base, url: `http://127.0.0.1:${port}`, adopted: false };
    }
    await spawnProcessInstance({
      ref: base,
      command: i.server.command,
      env: i.server.env ?? {},
      cwd,
      port,
      modelDir,
      pathPrefix,
      runAs: stepUsers(deps.policy).process,
      logFile,
    }).catch((err: unknown) => {
      throw ApplicationFailure.nonRetryable((err as Error).message, ServingFailure.InvalidServer);
    });
    return { ...base, url: `http://127.0.0.1:${port}`, adopted: false };
  };
}

/**
 * Stops the instance of (deployment, version) on this worker; an instance already gone is fine.
 * Without `executor` (a workflow started before it was passed), every kind is looked for.
 */
export function stopInstanceActivity(deps: ActivityDeps) {
  return async function stopInstance(i: {
    deployment: string;
    version: number;
    executor?: ServerExecutor;
  }): Promise<{ stopped: number }> {
    const dir = instanceDir(deps, i.deployment, i.version);
    const ref = { deployment: i.deployment, version: i.version, dir };
    let stopped = 0;
    if (i.executor !== 'kubernetes') {
      stopped += (await stopProcessInstance(ref)).length;
      // A version may have served from a container; without an engine there is none to stop.
      if (await dockerReachable()) stopped += (await stopDockerInstance(ref)).length;
    }
    // A worker without a cluster created nothing there (its start failed for that reason).
    if (i.executor !== 'process' && i.executor !== 'docker' && deps.kubernetesServing) {
      stopped += await deps.kubernetesServing.stop(i).catch((err: unknown) => {
        throw servingFailure(err);
      });
    }
    return { stopped };
  };
}
