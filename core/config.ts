import { resolve } from 'node:path';
import { z } from 'zod';
import { PolicyConfigError, policySettings } from './policy/load.js';
import { policyEnvSchema, type PolicySettings } from './policy/schema.js';
import { otelEnvSchema, tracingConfig, type TracingConfig } from './telemetry/config.js';

const port = z.coerce.number().int().min(1).max(65535);
const optionalText = z.string().trim().min(1).optional();

/**
 * Everything Sluice reads from the environment, in one place. Parsed once at start
 * (workers/, cli/); tests pass their own objects instead of mutating process.env.
 */
const envSchema = z.object({
  SLUICE_DATA_DIR: z.string().min(1).default('./.sluice'),
  SLUICE_HOST: z.string().min(1).default('127.0.0.1'),
  SLUICE_PORT: port.default(8001),
  SLUICE_TEMPORAL_ADDRESS: optionalText,
  SLUICE_TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  SLUICE_TEMPORAL_BIN: optionalText,
  SLUICE_TEMPORAL_PORT: port.default(7233),
  SLUICE_TEMPORAL_UI_PORT: port.default(8233),
  SLUICE_TASK_QUEUE: z.string().min(1).default('sluice-pipelines-v1'),
  SLUICE_TOOLS_DIR: optionalText,
  SLUICE_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'expected a lowercase SQL identifier')
    .optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// URL' }).optional(),
  SLUICE_EXECUTOR: z.enum(['auto', 'docker', 'process', 'kubernetes']).default('auto'),
  SLUICE_DOCKER_NETWORK: z.enum(['none', 'host']).default('none'),
  SLUICE_K8S_KUBECONFIG: optionalText,
  SLUICE_K8S_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a Kubernetes namespace name (DNS-1123 label)')
    .optional(),
  SLUICE_K8S_IMAGE_PULL_POLICY: z.enum(['IfNotPresent', 'Never', 'Always']).default('IfNotPresent'),
  SLUICE_K8S_TRANSFER: z.enum(['hostpath', 'store']).default('hostpath'),
  SLUICE_K8S_TRANSFER_IMAGE: optionalText,
  SLUICE_K8S_SERVING_ADDRESS: z.enum(['service', 'node-loopback']).default('service'),
  SLUICE_S3_BUCKET: optionalText,
  SLUICE_S3_PREFIX: z.string().default(''),
  SLUICE_S3_ENDPOINT: z.url().optional(),
  SLUICE_S3_REGION: z.string().min(1).default('us-east-1'),
  SLUICE_S3_ACCESS_KEY_ID: optionalText,
  SLUICE_S3_SECRET_ACCESS_KEY: optionalText,
  SLUICE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLUICE_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  SLUICE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  SLUICE_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  SLUICE_WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9464')
    .optional(),
  SLUICE_INGEST_ROOTS: z.string().optional(),
  SLUICE_INGEST_HOSTS: z.string().default(''),
  SLUICE_GATEWAY_FLUSH_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  SLUICE_GATEWAY_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(30_000),
  SLUICE_GATEWAY_CONNECTIONS: z.coerce.number().int().min(1).max(10_000).default(64),
  SLUICE_GATEWAY_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.01),
  ...policyEnvSchema.shape,
  ...otelEnvSchema.shape,
});

/** Whether a process may use a cluster: SLUICE_EXECUTOR=kubernetes or a kubeconfig is configured. */
export const kubernetesConfigured = (executor: Config['executor']): boolean =>
  executor.kind === 'kubernetes' || executor.kubernetes.kubeconfig !== undefined;

export type ArtifactConfig =
  | { kind: 'local'; root: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      endpoint?: string;
      region: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      forcePathStyle: boolean;
    };

export interface Config {
  dataDir: string;
  api: { host: string; port: number; bodyLimitBytes: number; rateLimitPerMinute: number };
  temporal: {
    /** Undefined: the embedded stack starts a dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    bin?: string;
    devServerPort: number;
    uiPort: number;
  };
  toolsDir?: string;
  /** Undefined: embedded PGlite under the data dir. */
  databaseUrl?: string;
  /** Postgres schema (search_path) to use instead of the user's default. */
  databaseSchema?: string;
  artifacts: ArtifactConfig;
  executor: {
    kind: 'auto' | 'docker' | 'process' | 'kubernetes';
    dockerNetwork: 'none' | 'host';
    /**
     * Steps as Jobs. Available when SLUICE_EXECUTOR=kubernetes (the default executor then) or a
     * kubeconfig is set (for steps that ask for it). Without a kubeconfig: KUBECONFIG, ~/.kube/config
     * or, inside a pod, its ServiceAccount.
     */
    kubernetes: {
      kubeconfig?: string;
      namespace?: string;
      imagePullPolicy: 'IfNotPresent' | 'Never' | 'Always';
      /**
       * How a pod gets its inputs and code package and returns its outputs: hostPath volumes of the
       * worker's step directory (the worker shares the node), or the S3 artifact store through
       * presigned URLs (any node; needs SLUICE_S3_BUCKET).
       */
      transfer: 'hostpath' | 'store';
      /** The image of the transfer helper (store mode); default sluice/transfer:1. */
      transferImage?: string;
      /**
       * How the gateway reaches a model server on Kubernetes: its Service's cluster DNS name (the API
       * runs in the cluster), or a 127.0.0.1 port of the node (hostNetwork pods; API and worker on the node).
       */
      servingAddress: 'service' | 'node-loopback';
    };
  };
  /** What steps may ask for (core/policy); its executors default per process, see resolvePolicy. */
  policy: PolicySettings;
  logLevel: z.infer<typeof envSchema>['SLUICE_LOG_LEVEL'];
  workerConcurrency: number;
  /** host:port of the worker's Prometheus endpoint (Temporal SDK metrics + Sluice's step metrics); off when unset. */
  workerMetricsAddress?: string;
  /** Where ingest steps may read from: directories (file: sources) and HTTP hosts. */
  ingest: { roots: string[]; hosts: string[] };
  /** The inference gateway (core/gateway): its flush period, upstream timeout and pool size, request sampling. */
  gateway: { flushMs: number; timeoutMs: number; connections: number; sampleRate: number };
  /** OpenTelemetry tracing (core/telemetry): set when an OTLP endpoint is configured, otherwise off. */
  tracing?: TracingConfig;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Freezes every nested object too: a config read once at start must not change under its readers. */
function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (v && typeof v === 'object' && !Object.isFrozen(v)) deepFreeze(v);
  return Object.freeze(o);
}

/** Parses the environment; throws ConfigError naming each bad variable and what it expects. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(
      ([k, v]) => (k.startsWith('SLUICE_') || k === 'DATABASE_URL' || k in otelEnvSchema.shape) && v !== '',
    ),
  );
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  if (e.SLUICE_S3_ACCESS_KEY_ID && !e.SLUICE_S3_SECRET_ACCESS_KEY) {
    throw new ConfigError(
      'invalid configuration: SLUICE_S3_SECRET_ACCESS_KEY is required when SLUICE_S3_ACCESS_KEY_ID is set',
    );
  }
  let policy: PolicySettings;
  try {
    policy = policySettings(e);
  } catch (err) {
    if (err instanceof PolicyConfigError) throw new ConfigError(`invalid configuration: ${err.message}`);
    throw err;
  }
  if (e.SLUICE_DOCKER_NETWORK === 'host' && !policy.hostNetwork) {
    throw new ConfigError(
      'invalid configuration: SLUICE_DOCKER_NETWORK=host needs a step policy that allows it (SLUICE_POLICY_HOST_NETWORK=true)',
    );
  }
  if (e.SLUICE_K8S_TRANSFER === 'store' && !e.SLUICE_S3_BUCKET) {
    throw new ConfigError(
      'invalid configuration: SLUICE_K8S_TRANSFER=store needs the S3 artifact store (SLUICE_S3_BUCKET): ' +
        'pods fetch and upload through presigned URLs, which a local artifact directory cannot give',
    );
  }
  const dataDir = resolve(e.SLUICE_DATA_DIR);
  const tracing = tracingConfig(e);
  const artifacts: ArtifactConfig = e.SLUICE_S3_BUCKET
    ? {
        kind: 's3',
        bucket: e.SLUICE_S3_BUCKET,
        prefix: e.SLUICE_S3_PREFIX,
        endpoint: e.SLUICE_S3_ENDPOINT,
        region: e.SLUICE_S3_REGION,
        accessKeyId: e.SLUICE_S3_ACCESS_KEY_ID,
        secretAccessKey: e.SLUICE_S3_SECRET_ACCESS_KEY,
        forcePathStyle: e.SLUICE_S3_ENDPOINT !== undefined,
      }
    : { kind: 'local', root: resolve(dataDir, 'artifacts') };
  return deepFreeze<Config>({
    dataDir,
    api: {
      host: e.SLUICE_HOST,
      port: e.SLUICE_PORT,
      bodyLimitBytes: e.SLUICE_BODY_LIMIT_BYTES,
      rateLimitPerMinute: e.SLUICE_RATE_LIMIT_PER_MINUTE,
    },
    temporal: {
      address: e.SLUICE_TEMPORAL_ADDRESS,
      namespace: e.SLUICE_TEMPORAL_NAMESPACE,
      taskQueue: e.SLUICE_TASK_QUEUE,
      bin: e.SLUICE_TEMPORAL_BIN,
      devServerPort: e.SLUICE_TEMPORAL_PORT,
      uiPort: e.SLUICE_TEMPORAL_UI_PORT,
    },
    toolsDir: e.SLUICE_TOOLS_DIR,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.SLUICE_DB_SCHEMA,
    artifacts,
    executor: {
      kind: e.SLUICE_EXECUTOR,
      dockerNetwork: e.SLUICE_DOCKER_NETWORK,
      kubernetes: {
        kubeconfig: e.SLUICE_K8S_KUBECONFIG ? resolve(e.SLUICE_K8S_KUBECONFIG) : undefined,
        namespace: e.SLUICE_K8S_NAMESPACE,
        imagePullPolicy: e.SLUICE_K8S_IMAGE_PULL_POLICY,
        transfer: e.SLUICE_K8S_TRANSFER,
        ...(e.SLUICE_K8S_TRANSFER_IMAGE ? { transferImage: e.SLUICE_K8S_TRANSFER_IMAGE } : {}),
        servingAddress: e.SLUICE_K8S_SERVING_ADDRESS,
      },
    },
    policy,
    logLevel: e.SLUICE_LOG_LEVEL,
    workerConcurrency: e.SLUICE_WORKER_CONCURRENCY,
    ...(e.SLUICE_WORKER_METRICS_ADDRESS ? { workerMetricsAddress: e.SLUICE_WORKER_METRICS_ADDRESS } : {}),
    ingest: {
      // Unset: the data dir's imports/ only; `none`: no file sources at all.
      roots:
        e.SLUICE_INGEST_ROOTS === 'none'
          ? []
          : (e.SLUICE_INGEST_ROOTS ?? resolve(dataDir, 'imports'))
              .split(':')
              .filter(Boolean)
              .map((r) => resolve(r)),
      hosts: e.SLUICE_INGEST_HOSTS.split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    },
    gateway: {
      flushMs: e.SLUICE_GATEWAY_FLUSH_MS,
      timeoutMs: e.SLUICE_GATEWAY_TIMEOUT_MS,
      connections: e.SLUICE_GATEWAY_CONNECTIONS,
      sampleRate: e.SLUICE_GATEWAY_SAMPLE_RATE,
    },
    ...(tracing ? { tracing } : {}),
  });
}
