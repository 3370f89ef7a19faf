import Docker from 'dockerode';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { servingEnv, type InstanceRef } from '../../core/deployments/instance.js';
import { parseMemoryBytes } from '../../core/pipeline/units.js';

// Model servers in containers: the same contract as process servers (SLUICE_* environment, the model
// at a known path, /ready and /predict on SLUICE_PORT of the loopback), on the host network so the
// gateway reaches them at 127.0.0.1 like a process server. Identity is in labels, so a worker that
// died after creating one finds it again and adopts it, never starts a second.

export const SERVING_LABELS = {
  deployment: 'sluice.deployment',
  version: 'sluice.model-version',
  dir: 'sluice.instance-dir',
  port: 'sluice.port',
} as const;

/** Where the model and the code package appear inside the container. */
export const CONTAINER_MODEL_DIR = '/sluice/model';
export const CONTAINER_CODE_DIR = '/sluice/code';

let engine: Docker | undefined;
const docker = () => (engine ??= new Docker());

type Ref = Pick<InstanceRef, 'deployment' | 'version' | 'dir'>;

function labelFilters(ref: Ref): string[] {
  return [
    `${SERVING_LABELS.deployment}=${ref.deployment}`,
    `${SERVING_LABELS.version}=${ref.version}`,
    `${SERVING_LABELS.dir}=${ref.dir}`,
  ];
}

/** The running container of (deployment, version) on this worker's engine, with its port. */
export async function findDockerInstance(ref: Ref): Promise<{ id: string; port: number } | undefined> {
  const list = await docker().listContainers({ filters: { label: labelFilters(ref), status: ['running'] } });
  for (const c of list) {
    const port = Number(c.Labels[SERVING_LABELS.port]);
    if (Number.isInteger(port) && port > 0) return { id: c.Id, port };
  }
  return undefined;
}

export interface DockerStart {
  ref: Pick<InstanceRef, 'deployment' | 'model' | 'version' | 'dir'>;
  image: string;
  command: string[];
  env: Record<string, string>;
  port: number;
  /** On the worker's disk; mounted read-only at /sluice/model. */
  modelDir: string;
  /** The code package on the worker's disk; mounted read-only at /sluice/code, the working directory. */
  codeDir?: string;
  resources?: { cpu?: number; memory?: string };
  /** Who the server runs as (the step policy's user); null: the image's own user. */
  user?: { uid: number; gid: number } | null;
  logFile: string;
}

/** Creates and starts the server's container; its output is appended to the instance's log. */
export async function spawnDockerInstance(s: DockerStart): Promise<string> {
  const d = docker();
  try {
    await d.getImage(s.image).inspect();
  } catch {
    throw new Error(`image ${s.image} is not on this worker's Docker engine (build or pull it first)`);
  }
  const memory = s.resources?.memory ? parseMemoryBytes(s.resources.memory) : undefined;
  const container = await d.createContainer({
    Image: s.image,
    Cmd: s.command,
    ...(s.user ? { User: `${s.user.uid}:${s.user.gid}` } : {}),
    WorkingDir: s.codeDir ? CONTAINER_CODE_DIR : undefined,
    Env: Object.entries(servingEnv(s.ref, s.env, CONTAINER_MODEL_DIR, s.port)).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [SERVING_LABELS.deployment]: s.ref.deployment,
      [SERVING_LABELS.version]: String(s.ref.version),
      [SERVING_LABELS.dir]: s.ref.dir,
      [SERVING_LABELS.port]: String(s.port),
    },
    HostConfig: {
      // The gateway reaches the server on the loopback of the host, as it reaches a process server.
      NetworkMode: 'host',
      Binds: [
        `${s.modelDir}:${CONTAINER_MODEL_DIR}:ro`,
        ...(s.codeDir ? [`${s.codeDir}:${CONTAINER_CODE_DIR}:ro`] : []),
      ],
      SecurityOpt: ['no-new-privileges'],
      ...(s.resources?.cpu ? { NanoCpus: Math.round(s.resources.cpu * 1e9) } : {}),
      ...(memory ? { Memory: memory } : {}),
    },
  });
  await container.start();
  void followLogs(container.id, s.logFile);
  return container.id;
}

/** Appends the container's output, from now on, to the instance's log (until the container stops). */
export async function followLogs(id: string, logFile: string): Promise<void> {
  try {
    await mkdir(path.dirname(logFile), { recursive: true });
    const stream = (await docker()
      .getContainer(id)
      .logs({
        follow: true,
        stdout: true,
        stderr: true,
        since: Math.floor(Date.now() / 1000) - 1,
      })) as NodeJS.ReadableStream;
    const out = createWriteStream(logFile, { flags: 'a' });
    const both = new PassThrough();
    docker().modem.demuxStream(stream, both, both);
    both.pipe(out);
    stream.on('end', () => both.end());
  } catch {
    // The log is a convenience: a container that is already gone has nothing more to say.
  }
}

/** Removes every container of the instance (stopped or running); none is fine. */
export async function stopDockerInstance(ref: Ref): Promise<string[]> {
  const d = docker();
  const list = await d.listContainers({ all: true, filters: { label: labelFilters(ref) } });
  for (const c of list) {
    const container = d.getContainer(c.Id);
    await container.stop({ t: 5 }).catch(() => undefined);
    await container.remove({ force: true }).catch(() => undefined);
  }
  return list.map((c) => c.Id);
}

/** Whether this worker can reach a Docker engine at all (stopping docker instances is skipped without one). */
export async function dockerReachable(): Promise<boolean> {
  return docker()
    .ping()
    .then(
      () => true,
      () => false,
    );
}
